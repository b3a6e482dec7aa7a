package redischeck_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/batonlock/baton/internal/redischeck"
	"github.com/batonlock/baton/internal/redistest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func client(t *testing.T, o *goredis.Options) *goredis.Client {
	o.ContextTimeoutEnabled = true
	c := goredis.NewClient(o)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestEveryScriptCommandIsChecked: a command a script calls but the check does not know of
// would pass the check and then fail the first Acquire with NOPERM.
func TestEveryScriptCommandIsChecked(t *testing.T) {
	files, err := filepath.Glob("../redisscript/*.lua")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	s := redistest.Start(t)
	c := client(t, &goredis.Options{Addr: s.Addr()})
	ctx := testCtx(t)
	call := regexp.MustCompile(`redis\.p?call\('([A-Za-z]+)'`)
	for _, f := range files {
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range call.FindAllStringSubmatch(string(src), -1) {
			cmd := strings.ToLower(m[1])
			require.NoError(t, c.Do(ctx, "ACL", "SETUSER", "u"+cmd, "reset", "on", ">pw", "~*", "&*", "+@all", "-"+cmd).Err())
			u := client(t, &goredis.Options{Addr: s.Addr(), Username: "u" + cmd, Password: "pw"})
			_, err := redischeck.Node(ctx, u, s.Addr(), redischeck.Needs{Prefix: "baton:"})
			require.True(t, redischeck.IsRefusal(err), "%s calls %s: %v", filepath.Base(f), m[1], err)
			assert.ErrorContains(t, err, "forbids "+strings.ToUpper(cmd)+" (", "%s calls %s", filepath.Base(f), m[1])
		}
	}
}

// TestClusterNeedsRedis7: on a cluster baton uses SPUBLISH and SSUBSCRIBE (7.0); a 6.2
// server serves a single-server backend but not a cluster one.
func TestClusterNeedsRedis7(t *testing.T) {
	f := redistest.StartFake(t, "6.2.14")
	c := client(t, &goredis.Options{Addr: f.Addr()})
	ctx := testCtx(t)
	rep, err := redischeck.Node(ctx, c, f.Addr(), redischeck.Needs{})
	require.NoError(t, err)
	assert.Equal(t, "6.2.14", rep.Version)
	_, err = redischeck.Node(ctx, c, f.Addr(), redischeck.Needs{Sharded: true})
	require.True(t, redischeck.IsRefusal(err), "%v", err)
	assert.ErrorContains(t, err, "Redis 6.2.14 is too old: on a cluster baton uses SPUBLISH")
	assert.ErrorContains(t, err, f.Addr())
}

// TestWithoutDryRunPermissionTries: a user that may not call ACL (so no ACL DRYRUN) is
// checked by trying the harmless commands, which still finds a forbidden EVALSHA.
func TestWithoutDryRunPermissionTries(t *testing.T) {
	s := redistest.Start(t)
	ctx := testCtx(t)
	admin := client(t, &goredis.Options{Addr: s.Addr()})
	require.NoError(t, admin.Do(ctx, "ACL", "SETUSER", "carol", "on", ">pw", "~*", "&*", "+@all", "-acl", "-evalsha").Err())
	require.NoError(t, admin.Do(ctx, "ACL", "SETUSER", "dan", "on", ">pw", "~*", "&*", "+@all", "-acl").Err())

	carol := client(t, &goredis.Options{Addr: s.Addr(), Username: "carol", Password: "pw"})
	_, err := redischeck.Node(ctx, carol, s.Addr(), redischeck.Needs{})
	require.True(t, redischeck.IsRefusal(err), "%v", err)
	assert.ErrorContains(t, err, "the server's ACL forbids EVALSHA (NOPERM")

	dan := client(t, &goredis.Options{Addr: s.Addr(), Username: "dan", Password: "pw"})
	_, err = redischeck.Node(ctx, dan, s.Addr(), redischeck.Needs{})
	assert.NoError(t, err, "every tried command is allowed")
}

// TestUnreachableIsNoRefusal: a server that cannot be reached is not judged.
func TestUnreachableIsNoRefusal(t *testing.T) {
	c := client(t, &goredis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	_, err := redischeck.Node(testCtx(t), c, "127.0.0.1:1", redischeck.Needs{})
	require.Error(t, err)
	assert.False(t, redischeck.IsRefusal(err))
}

// TestReadmeNamesEveryScriptCommand: README's list of what an ACL must allow names every
// command a script calls; a user made from that list once passed Open and then failed its
// first shared hold inside a script.
func TestReadmeNamesEveryScriptCommand(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	files, err := filepath.Glob("../redisscript/*.lua")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	call := regexp.MustCompile(`redis\.p?call\('([A-Za-z]+)'`)
	for _, f := range files {
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range call.FindAllStringSubmatch(string(src), -1) {
			assert.Contains(t, string(readme), "`"+strings.ToUpper(m[1])+"`", "%s calls %s, which README's ACL list does not name", filepath.Base(f), m[1])
		}
	}
}
