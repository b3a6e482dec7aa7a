package redischeck

import (
	"context"
	"strings"

	goredis "github.com/redis/go-redis/v9"
)

// permissions returns the commands of n that the server's ACL forbids, each with the
// server's reason: by ACL DRYRUN when user is known and the server has it, else by trying.
func permissions(ctx context.Context, c goredis.UniversalClient, user string, n Needs) ([]string, error) {
	if user != "" {
		forbidden, ran, err := dryRun(ctx, c, user, n)
		if err != nil || ran {
			return forbidden, err
		}
	}
	return try(ctx, c, n)
}

// dryRun asks ACL DRYRUN about every command; ran is false when the server has no ACL
// DRYRUN (before 7.0) or the user may not call it.
func dryRun(ctx context.Context, c goredis.UniversalClient, user string, n Needs) (forbidden []string, ran bool, err error) {
	cmds := n.commands()
	pipe := c.Pipeline()
	res := make([]*goredis.Cmd, len(cmds))
	for i, cmd := range cmds {
		res[i] = pipe.Do(ctx, args([]any{"ACL", "DRYRUN", user}, cmd)...)
	}
	_, _ = pipe.Exec(ctx)
	for i, r := range res {
		if err := r.Err(); err != nil {
			if !isReply(err) {
				return nil, false, err
			}
			return nil, false, nil
		}
		if s, _ := r.Text(); s != "OK" {
			forbidden = append(forbidden, cmds[i][0]+" ("+s+")")
		}
	}
	return forbidden, true, nil
}

// try sends the commands that do nothing when allowed (EVALSHA of no script, EVAL of
// "return 0", PUBLISH to the probe channel nobody hears) and collects the NOPERM replies.
// The others are not tried: a script that cannot call one fails its first Acquire with
// the server's NOPERM.
func try(ctx context.Context, c goredis.UniversalClient, n Needs) ([]string, error) {
	var tries [][]string
	for _, cmd := range n.commands() {
		switch cmd[0] {
		case "EVALSHA", "EVAL", "PUBLISH", "SPUBLISH":
			tries = append(tries, cmd)
		}
	}
	pipe := c.Pipeline()
	res := make([]*goredis.Cmd, len(tries))
	for i, cmd := range tries {
		res[i] = pipe.Do(ctx, args(nil, cmd)...)
	}
	_, _ = pipe.Exec(ctx)
	var forbidden []string
	for i, r := range res {
		err := r.Err()
		switch {
		case err == nil:
		case !isReply(err):
			return nil, err
		case strings.HasPrefix(err.Error(), "NOPERM"):
			forbidden = append(forbidden, tries[i][0]+" ("+err.Error()+")")
		}
	}
	return forbidden, nil
}
