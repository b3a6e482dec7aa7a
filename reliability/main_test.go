package reliability_test

import (
	"context"
	"log/slog"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/driver"
	redislock "github.com/batonlock/baton/lock/redis"
)

func TestMain(m *testing.M) {
	goredis.SetLogger(silent{}) // go-redis logs every failed dial, which these tests cause
	// go-redis's pool probes a failed dial from a goroutine of its own that sleeps a second
	// between probes and returns once the pool is closed: after a test that stalls new
	// connections it can outlive the client by a dial timeout. It is go-redis's, and ends.
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/redis/go-redis/v9/internal/pool.(*ConnPool).tryDial"))
}

type silent struct{}

func (silent) Printf(context.Context, string, ...any) {}

// quiet drops the log records of lost holds and failed calls, which these tests cause on
// purpose.
var quiet = slog.New(slog.DiscardHandler)

// eventually bounds every wait of the suite; no test asserts speed.
const eventually = 15 * time.Second

// soak reports whether the long versions of the load tests were asked for (BATON_SOAK=1).
func soak() bool { return os.Getenv("BATON_SOAK") == "1" }

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*eventually)
	t.Cleanup(cancel)
	return ctx
}

// newClient returns a go-redis client on addr, closed when t ends (after the backends).
// Its calls honour ctx deadlines, as a client given to redislock.New should.
func newClient(t testing.TB, addr string) *goredis.Client {
	c := goredis.NewClient(&goredis.Options{Addr: addr, ContextTimeoutEnabled: true, DialerRetries: 1})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// newBackend returns a Redis backend on client, closed when t ends.
func newBackend(t testing.TB, client goredis.UniversalClient, opts ...redislock.Option) *redislock.Backend {
	opts = append([]redislock.Option{redislock.WithLogger(quiet)}, opts...)
	b, err := redislock.New(client, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func newLock(t testing.TB, b lock.Backend, name string, opts ...lock.Option) lock.Locker {
	t.Helper()
	l, err := b.NewLock(name, opts...)
	require.NoError(t, err)
	return l
}

func waitClosed(t testing.TB, c <-chan struct{}, what string) {
	t.Helper()
	require.NotNil(t, c, what)
	select {
	case <-c:
	case <-time.After(eventually):
		t.Fatalf("%s: not closed after %v", what, eventually)
	}
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// timeline records each hold as its holder believes it: from the moment Acquire returned
// to the moment the holder called Release or was told (AfterLost) that the hold was lost.
// The end is taken when Release is called, not when it returns: a Release may pass the lock
// on before its reply comes back, and from then on the old holder does nothing with it.
type timeline struct {
	mu    sync.Mutex
	holds []*interval
}

type interval struct {
	who        string
	fence      uint64
	start, end time.Time // end is zero while the holder still believes it holds
	lost       bool
}

// begin records a hold that Acquire just returned and ends it when the hold is lost. It
// returns the function to call just before Release.
func (tl *timeline) begin(who string, l lock.Locker) (release func()) {
	iv := &interval{who: who, fence: l.Fence(), start: time.Now()}
	tl.mu.Lock()
	tl.holds = append(tl.holds, iv)
	tl.mu.Unlock()
	end := func(lost bool) {
		tl.mu.Lock()
		defer tl.mu.Unlock()
		if iv.end.IsZero() {
			iv.end, iv.lost = time.Now(), lost
		}
	}
	l.(driver.LossNotifier).AfterLost(func() { end(true) })
	return func() { end(false) }
}

// check asserts that no two holds overlap and that fences grow in the order holds began.
func (tl *timeline) check(t testing.TB) []interval {
	t.Helper()
	tl.mu.Lock()
	defer tl.mu.Unlock()
	ivs := make([]interval, len(tl.holds))
	for i, iv := range tl.holds {
		ivs[i] = *iv
	}
	sort.Slice(ivs, func(i, j int) bool { return ivs[i].start.Before(ivs[j].start) })
	for i := 1; i < len(ivs); i++ {
		prev, cur := ivs[i-1], ivs[i]
		assert.False(t, prev.end.IsZero() || cur.start.Before(prev.end),
			"%s (fence %d) still believed it held when %s (fence %d) took the lock", prev.who, prev.fence, cur.who, cur.fence)
		assert.Less(t, prev.fence, cur.fence, "fences out of time order: %s then %s", prev.who, cur.who)
	}
	return ivs
}
