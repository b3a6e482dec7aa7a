package quorum_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/batonlock/baton/internal/redistest"
	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/quorum"
)

func TestMain(m *testing.M) {
	goredis.SetLogger(silent{}) // go-redis logs every failed dial, which these tests cause
	goleak.VerifyTestMain(m)
}

type silent struct{}

func (silent) Printf(context.Context, string, ...any) {}

// quiet drops the log records of lost holds and dead nodes, which many tests cause.
var quiet = slog.New(slog.DiscardHandler)

// eventually bounds the waits of these tests; none asserts speed.
const eventually = 10 * time.Second

// startServers starts n redis-servers on loopback, stopped when t ends.
func startServers(t testing.TB, n int) []*redistest.Server {
	var ss []*redistest.Server
	for i := 0; i < n; i++ {
		ss = append(ss, redistest.Start(t))
	}
	return ss
}

// clients returns one go-redis client per address, closed when t ends (after the backends).
// Dead nodes must fail fast: one dial attempt, no retries.
func clients(t testing.TB, addrs []string) []goredis.UniversalClient {
	var cs []goredis.UniversalClient
	for _, a := range addrs {
		c := goredis.NewClient(&goredis.Options{Addr: a, MaxRetries: -1, DialTimeout: time.Second, DialerRetries: 1,
			ContextTimeoutEnabled: true})
		t.Cleanup(func() { _ = c.Close() })
		cs = append(cs, c)
	}
	return cs
}

func addrs(ss []*redistest.Server) []string {
	var as []string
	for _, s := range ss {
		as = append(as, s.Addr())
	}
	return as
}

// newBackend returns a backend on clients, closed when t ends.
func newBackend(t testing.TB, cs []goredis.UniversalClient, opts ...quorum.Option) *quorum.Backend {
	opts = append([]quorum.Option{quorum.WithLogger(quiet)}, opts...)
	b, err := quorum.New(cs, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func newLock(t testing.TB, b lock.Backend, name string, opts ...lock.Option) lock.Locker {
	l, err := b.NewLock(name, opts...)
	require.NoError(t, err)
	return l
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}
