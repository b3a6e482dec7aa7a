package redis_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redistest"
	"github.com/batonlock/baton/lock"
	redislock "github.com/batonlock/baton/lock/redis"
)

// TestNewRefusesClientsThatIgnoreDeadlines: a go-redis client without ContextTimeoutEnabled
// lets every call on a stalled link overrun its ctx, so New refuses it and says why.
func TestNewRefusesClientsThatIgnoreDeadlines(t *testing.T) {
	clients := map[string]goredis.UniversalClient{
		"Client":        goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1"}),
		"ClusterClient": goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}}),
		"Ring":          goredis.NewRing(&goredis.RingOptions{Addrs: map[string]string{"a": "127.0.0.1:1"}}),
	}
	for kind, c := range clients {
		_, err := redislock.New(c)
		require.ErrorIs(t, err, lock.ErrInvalid, kind)
		assert.ErrorContains(t, err, "ContextTimeoutEnabled", kind)
		require.NoError(t, c.Close())
	}
}

// TestNewQuorumRefusesClientsThatIgnoreDeadlines: the same check for each of a quorum's
// clients, whose error names the client.
func TestNewQuorumRefusesClientsThatIgnoreDeadlines(t *testing.T) {
	good := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true})
	bad := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { _ = good.Close(); _ = bad.Close() })
	_, err := redislock.NewQuorum([]goredis.UniversalClient{good, good, bad})
	require.ErrorIs(t, err, lock.ErrInvalid)
	assert.ErrorContains(t, err, "quorum backend: client 2: the client's options lack ContextTimeoutEnabled")
}

// recorder is a slog.Handler that keeps every record.
type recorder struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, rec)
	return nil
}
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recorder) WithGroup(string) slog.Handler      { return r }

// evictionWarnings returns the node attribute of each eviction warning recorded.
func (r *recorder) evictionWarnings() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var nodes []string
	for _, rec := range r.recs {
		var node, policy string
		rec.Attrs(func(a slog.Attr) bool {
			switch a.Key {
			case "node":
				node = a.Value.String()
			case "maxmemory-policy":
				policy = a.Value.String()
			}
			return true
		})
		if rec.Level == slog.LevelWarn && policy != "" {
			nodes = append(nodes, node)
		}
	}
	return nodes
}

// useDefaultLogger makes r slog's default logger until t ends (lock.Open logs there).
func useDefaultLogger(t *testing.T, r *recorder) {
	old := slog.Default()
	slog.SetDefault(slog.New(r))
	t.Cleanup(func() { slog.SetDefault(old) })
}

// TestEvictingServerIsWarnedOnce: a server that may evict lock keys gets one warning at
// Open and one at New, naming the policy; a noeviction server gets none.
func TestEvictingServerIsWarnedOnce(t *testing.T) {
	s := redistest.Start(t, "--maxmemory", "100mb", "--maxmemory-policy", "allkeys-lru")
	rec := &recorder{}
	useDefaultLogger(t, rec)
	b, err := lock.Open(testCtx(t), s.URL())
	require.NoError(t, err)
	require.NoError(t, b.Close())
	assert.Equal(t, []string{s.Addr()}, rec.evictionWarnings(), "lock.Open")

	newRec := &recorder{}
	c := newClient(t, s.Addr())
	nb, err := redislock.New(c, redislock.WithLogger(slog.New(newRec)))
	require.NoError(t, err)
	require.NoError(t, nb.Close())
	assert.Equal(t, []string{s.Addr()}, newRec.evictionWarnings(), "redis.New")

	safe := redistest.Start(t)
	quietRec := &recorder{}
	qb, err := redislock.New(newClient(t, safe.Addr()), redislock.WithLogger(slog.New(quietRec)))
	require.NoError(t, err)
	require.NoError(t, qb.Close())
	assert.Empty(t, quietRec.evictionWarnings(), "noeviction")
}

// TestEvictingClusterIsWarnedPerMaster: every master of a cluster is asked.
func TestEvictingClusterIsWarnedPerMaster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-master cluster")
	}
	cl := redistest.StartCluster(t, 3, "--maxmemory", "100mb", "--maxmemory-policy", "volatile-ttl")
	rec := &recorder{}
	cc := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: cl.Addrs(), ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = cc.Close() })
	b, err := redislock.New(cc, redislock.WithLogger(slog.New(rec)))
	require.NoError(t, err)
	require.NoError(t, b.Close())
	assert.ElementsMatch(t, cl.Addrs(), rec.evictionWarnings())
}

// TestACLWithoutEvalshaIsRefused: a user whose ACL forbids EVALSHA could never take a lock;
// Open and New say so, naming the command, instead of failing the first Acquire.
func TestACLWithoutEvalshaIsRefused(t *testing.T) {
	s := redistest.Start(t)
	admin := newClient(t, s.Addr())
	ctx := testCtx(t)
	require.NoError(t, admin.Do(ctx, "ACL", "SETUSER", "alice", "on", ">s3cret", "~*", "&*", "+@all", "-evalsha").Err())

	_, err := lock.Open(ctx, "redis://alice:s3cret@"+s.Addr()+"/0")
	require.Error(t, err)
	assert.ErrorContains(t, err, "EVALSHA")
	assert.ErrorContains(t, err, `user "alice"`)
	assert.NotContains(t, err.Error(), "s3cret")

	c := goredis.NewClient(&goredis.Options{Addr: s.Addr(), Username: "alice", Password: "s3cret", ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = c.Close() })
	_, err = redislock.New(c)
	require.Error(t, err)
	assert.ErrorContains(t, err, "forbids EVALSHA (")
	assert.NotContains(t, err.Error(), "; EVAL (", "EVAL itself is allowed")
}

// TestACLKeyPatternOutsidePrefixIsRefused: an ACL that grants keys under another prefix
// than the backend's is found by the dry run of baton's own keys.
func TestACLKeyPatternOutsidePrefixIsRefused(t *testing.T) {
	s := redistest.Start(t)
	ctx := testCtx(t)
	require.NoError(t, newClient(t, s.Addr()).Do(ctx, "ACL", "SETUSER", "bob", "on", ">pw", "~orders:*", "&*", "+@all").Err())

	b, err := lock.Open(ctx, "redis://bob:pw@"+s.Addr()+"/0?prefix=orders:")
	require.NoError(t, err, "keys under orders: are allowed")
	require.NoError(t, b.Close())
	_, err = lock.Open(ctx, "redis://bob:pw@"+s.Addr()+"/0?prefix=billing:")
	require.Error(t, err)
	assert.ErrorContains(t, err, "SET")
	assert.ErrorContains(t, err, "billing:")
}

// TestServerTooOldIsRefused: baton needs Redis 6.2 (its scripts use SET ... GET); an
// older server is an error at Open that names the version and the minimum, not a script error
// later.
func TestServerTooOldIsRefused(t *testing.T) {
	old := redistest.StartFake(t, "6.0.9")
	_, err := lock.Open(testCtx(t), "redis://"+old.Addr()+"/0")
	require.Error(t, err)
	assert.ErrorContains(t, err, "Redis 6.0.9 is too old")
	assert.ErrorContains(t, err, "needs Redis 6.2.0 or newer")

	c := newClient(t, old.Addr())
	_, err = redislock.New(c)
	assert.ErrorContains(t, err, "Redis 6.0.9 is too old")
}
