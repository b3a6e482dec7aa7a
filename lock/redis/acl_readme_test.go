package redis_test

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redistest"
	"github.com/batonlock/baton/lock"
)

// readmeACL is what README.md's "An ACL that allows ..." bullet names: every command in
// it, on the default prefix's keys and channels.
func readmeACL(t *testing.T) []any {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	text := string(readme)
	start := strings.Index(text, "**An ACL that allows**")
	require.GreaterOrEqual(t, start, 0, "README's ACL bullet")
	end := strings.Index(text[start:], "Checked with")
	require.Greater(t, end, 0)
	acl := []any{"~baton:*", "&baton:*"}
	for _, m := range regexp.MustCompile("`([A-Z_]+)`").FindAllStringSubmatch(text[start:start+end], -1) {
		acl = append(acl, "+"+strings.ToLower(m[1]))
	}
	require.Greater(t, len(acl), 10, "README's ACL bullet names the commands")
	return acl
}

// TestReadmeACLSuffices: README.md says what an ACL must allow. A user given exactly
// that (with or without the right to call ACL, which decides between the dry run and the
// tries) must be able to open a backend and take and free a lock, exclusive and shared: the
// list once left out HGETALL, ZADD, ZREM, ZCARD, ZSCORE, ZRANGE, ZRANGEBYSCORE and LRANGE,
// which the scripts call.
func TestReadmeACLSuffices(t *testing.T) {
	s := redistest.Start(t)
	actx, acancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer acancel()
	admin := goredis.NewClient(&goredis.Options{Addr: s.Addr()})
	defer admin.Close()
	users := map[string][]any{
		"plain":   nil,      // no ACL: the check tries EVALSHA, EVAL and PUBLISH
		"withacl": {"+acl"}, // ACL DRYRUN of every command
	}
	for _, user := range []string{"plain", "withacl"} {
		extra := users[user]
		ctx, cancel := context.WithTimeout(actx, 5*time.Second)
		defer cancel()
		args := append([]any{"ACL", "SETUSER", user, "reset", "on", ">pw"}, readmeACL(t)...)
		args = append(args, extra...)
		require.NoError(t, admin.Do(ctx, args...).Err())
		b, err := lock.Open(ctx, "redis://"+user+":pw@"+s.Addr()+"/0")
		if !assert.NoError(t, err, "%s: Open refuses README's ACL", user) {
			continue
		}
		l, err := b.NewLock("a")
		require.NoError(t, err)
		err = l.Acquire(ctx)
		if assert.NoError(t, err, "%s: Open passed README's ACL, then the first Acquire fails", user) {
			assert.NoError(t, l.Release(ctx))
		}
		r, err := b.NewLock("r", lock.WithShared())
		require.NoError(t, err)
		start := time.Now()
		err = r.Acquire(ctx)
		t.Logf("%s: shared Acquire took %v: %v", user, time.Since(start), err)
		if assert.NoError(t, err, "%s: Open passed README's ACL, then a shared Acquire fails", user) {
			assert.NoError(t, r.Release(ctx))
		}
		_ = b.Close()
	}
}
