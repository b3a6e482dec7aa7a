package redischeck

import (
	"context"
	"errors"
	"fmt"
	"strings"

	goredis "github.com/redis/go-redis/v9"
)

// Report is what one server said about itself.
type Report struct {
	Addr    string // the server's address, or "" when the client does not say
	Version string // its Redis version, or "" when INFO was refused or did not say
	// Evicting is the server's maxmemory-policy when it evicts keys (allkeys-*, volatile-*):
	// an evicted lock key lets a rival in. "" for noeviction, or when CONFIG was refused.
	Evicting  string
	MaxMemory string // the server's maxmemory setting, when Evicting is set
}

// Refusal is a finding that a server cannot serve baton: too old, or its ACL forbids a
// command baton sends. Any other error from Node or All is one of reaching the server.
type Refusal struct {
	Addr   string
	Reason string
}

func (r *Refusal) Error() string {
	if r.Addr == "" {
		return "redis server: " + r.Reason
	}
	return "redis server " + r.Addr + ": " + r.Reason
}

// IsRefusal reports whether err is, or wraps, a Refusal.
func IsRefusal(err error) bool {
	var r *Refusal
	return errors.As(err, &r)
}

// Node checks the one server c talks to (addr names it in errors).
func Node(ctx context.Context, c goredis.UniversalClient, addr string, n Needs) (Report, error) {
	rep := Report{Addr: addr}
	pipe := c.Pipeline()
	info := pipe.Info(ctx, "server")
	who := pipe.Do(ctx, "ACL", "WHOAMI")
	conf := pipe.ConfigGet(ctx, "maxmemory*")
	_, _ = pipe.Exec(ctx) // each command's own error is looked at below
	for _, cmd := range []goredis.Cmder{info, who, conf} {
		if err := cmd.Err(); err != nil && !isReply(err) {
			return rep, err
		}
	}
	if info.Err() == nil {
		if v, ok := parseInfo(info.Val()); ok {
			rep.Version = v.String()
			if why := n.tooOld(v); why != "" {
				return rep, &Refusal{Addr: addr, Reason: why}
			}
		}
	}
	if conf.Err() == nil {
		rep.Evicting, rep.MaxMemory = evicting(conf.Val())
	}
	user, _ := who.Text() // "" when ACL WHOAMI was refused: then there is no dry run
	forbidden, err := permissions(ctx, c, user, n)
	if err != nil {
		return rep, err
	}
	if len(forbidden) > 0 {
		whose := "the server's ACL"
		if user != "" {
			whose = fmt.Sprintf("the ACL of user %q", user)
		}
		return rep, &Refusal{Addr: addr, Reason: fmt.Sprintf("%s forbids %s, which baton needs (it sends %s)",
			whose, strings.Join(forbidden, "; "), n.names())}
	}
	return rep, nil
}

// evicting returns the policy and maxmemory of a CONFIG GET maxmemory* reply when the
// policy evicts keys: with a maxmemory set (Redis evicts nothing without one).
func evicting(conf map[string]string) (policy, maxmemory string) {
	p, m := conf["maxmemory-policy"], conf["maxmemory"]
	if m == "" || m == "0" {
		return "", ""
	}
	if strings.HasPrefix(p, "allkeys-") || strings.HasPrefix(p, "volatile-") {
		return p, m
	}
	return "", ""
}

// isReply reports whether err is the server's answer (an error reply), rather than a
// failure to reach it.
func isReply(err error) bool {
	var re goredis.Error
	return errors.As(err, &re)
}
