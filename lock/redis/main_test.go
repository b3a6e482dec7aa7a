package redis_test

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/batonlock/baton/internal/redistest"
	"github.com/batonlock/baton/lock"
	redislock "github.com/batonlock/baton/lock/redis"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(runChild())
	}
	goleak.VerifyTestMain(m,
		// go-redis's FailoverClient (the Sentinel tests): a master lookup (MasterAddr) that
		// finishes after the client's Close, for a dial still under way, opens a PubSub on
		// a Sentinel (setSentinel) that nothing closes any more; one CI run found it. Its
		// listener and the two goroutines of that PubSub's channel are go-redis's, not
		// baton's; the subscriber's own goroutines (receive, pump) are still checked, and
		// they end only when the PubSubs they read are closed.
		goleak.IgnoreAnyFunction("github.com/redis/go-redis/v9.(*sentinelFailover).listen"),
		goleak.IgnoreAnyFunction("github.com/redis/go-redis/v9.(*channel).initMsgChan.func1"),
		goleak.IgnoreAnyFunction("github.com/redis/go-redis/v9.(*channel).initHealthCheck.func1"),
	)
}

// newMiniBackend returns a backend on a fresh miniredis, with the default drift margin.
func newMiniBackend(t testing.TB, opts ...redislock.Option) (*redislock.Backend, *miniredis.Miniredis, *goredis.Client) {
	m := redistest.StartMini(t)
	c := newClient(t, m.Addr())
	return newBackend(t, c, opts...), m, c
}

// newClient returns a go-redis client on addr, closed when t ends (after the backends).
func newClient(t testing.TB, addr string) *goredis.Client {
	c := goredis.NewClient(&goredis.Options{Addr: addr, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// newBackend returns a backend on client, closed when t ends.
func newBackend(t testing.TB, client goredis.UniversalClient, opts ...redislock.Option) *redislock.Backend {
	opts = append([]redislock.Option{redislock.WithLogger(quiet)}, opts...)
	b, err := redislock.New(client, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func newLock(t testing.TB, b lock.Backend, name string, opts ...lock.Option) *redislock.Lock {
	l, err := b.NewLock(name, opts...)
	require.NoError(t, err)
	return l.(*redislock.Lock)
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// quiet drops the log records of lost holds, which many tests cause on purpose.
var quiet = slog.New(slog.DiscardHandler)

// eventually bounds the waits of these tests; none asserts speed.
const eventually = 10 * time.Second

func waitClosed(t testing.TB, c <-chan struct{}, what string) {
	t.Helper()
	require.NotNil(t, c, what)
	select {
	case <-c:
	case <-time.After(eventually):
		t.Fatalf("%s: not closed after %v", what, eventually)
	}
}

func startServer(t testing.TB) *redistest.Server { return redistest.Start(t) }
