package redis_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redistest"
	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/driver"
	redislock "github.com/batonlock/baton/lock/redis"
)

// servers runs a test against miniredis and against a real redis-server (when present).
func servers(t *testing.T, test func(t *testing.T, addr string)) {
	t.Run("miniredis", func(t *testing.T) { test(t, redistest.StartMini(t).Addr()) })
	t.Run("redis-server", func(t *testing.T) { test(t, startServer(t).Addr()) })
}

// events records the events of a lock.
type events struct {
	mu sync.Mutex
	es []lock.Event
}

func (e *events) Observe(ev lock.Event) { e.mu.Lock(); e.es = append(e.es, ev); e.mu.Unlock() }

func (e *events) find(k lock.EventKind) (lock.Event, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ev := range e.es {
		if ev.Kind == k {
			return ev, true
		}
	}
	return lock.Event{}, false
}

// TestLossBehindTheHoldersBack deletes the key, or gives it to another token, while a
// leased hold lasts: the next renewal finds out, closes Lost and cancels Do's ctx.
func TestLossBehindTheHoldersBack(t *testing.T) {
	for what, steal := range map[string]func(ctx context.Context, c *goredis.Client, key string) error{
		"deleted": func(ctx context.Context, c *goredis.Client, key string) error { return c.Del(ctx, key).Err() },
		"taken": func(ctx context.Context, c *goredis.Client, key string) error {
			return c.Set(ctx, key, "someone-else", time.Minute).Err()
		},
	} {
		t.Run(what, func(t *testing.T) {
			servers(t, func(t *testing.T, addr string) {
				ctx := testCtx(t)
				c := newClient(t, addr)
				// Renewals come every 400ms; the deadline is 1.2s away, so even a renewal that
				// a loaded machine delays finds the key gone before the deadline passes.
				const lease = 1200 * time.Millisecond
				b := newBackend(t, c, redislock.WithLease(lease), redislock.WithPrefix("loss:"))
				ev := &events{}
				l := newLock(t, b, "x", lock.WithObserver(ev))

				var cause error
				err := lock.Do(ctx, l, func(fctx context.Context) error {
					require.NoError(t, steal(ctx, c, "loss:{x}"))
					<-fctx.Done()
					cause = context.Cause(fctx)
					return nil
				})
				assert.ErrorIs(t, err, lock.ErrLost)
				assert.ErrorIs(t, cause, lock.ErrLost)
				waitClosed(t, l.Lost(), "Lost")
				lost, ok := ev.find(lock.Lost)
				require.True(t, ok, "a Lost event")
				assert.Contains(t, lost.Err.Error(), "deleted or taken",
					"found by the renewal, not by the deadline passing")
				if what == "taken" {
					v, err := c.Get(ctx, "loss:{x}").Result()
					require.NoError(t, err)
					assert.Equal(t, "someone-else", v, "the stale holder did not free the new owner's key")
				}
			})
		})
	}
}

// TestFencesGrowAfterCounterLost: the fence counter (one key, without a TTL, on a plain
// server) deleted or set behind baton's back does not make fences go back: the server
// clock in µs keeps them growing. A counter ahead of the clock (many fences in one µs)
// grows by one.
func TestFencesGrowAfterCounterLost(t *testing.T) {
	m := redistest.StartMini(t)
	c := newClient(t, m.Addr())
	b := newBackend(t, c, redislock.WithPrefix("f:"))
	ctx := testCtx(t)
	l := newLock(t, b, "order")
	require.NoError(t, l.Acquire(ctx))
	first := l.Fence()
	require.NoError(t, l.Release(ctx))
	assert.Equal(t, []string{"f:fence:v2"}, m.Keys(), "one counter is all Release leaves")
	assert.Zero(t, m.TTL("f:fence:v2"), "the counter has no TTL")

	m.Del("f:fence:v2")
	require.NoError(t, l.Acquire(ctx))
	assert.Greater(t, l.Fence(), first, "fences grow after the counter was deleted")
	require.NoError(t, l.Release(ctx))
	second := l.Fence()
	require.NoError(t, m.Set("f:fence:v2", "1"))
	require.NoError(t, l.Acquire(ctx))
	assert.Greater(t, l.Fence(), second, "fences grow after the counter was set lower")
	require.NoError(t, l.Release(ctx))

	ahead := uint64(time.Now().Add(time.Hour).UnixMicro())
	require.NoError(t, m.Set("f:fence:v2", strconv.FormatUint(ahead, 10)))
	require.NoError(t, l.Acquire(ctx))
	assert.Equal(t, ahead+1, l.Fence())
	require.NoError(t, l.Release(ctx))
}

// TestFencesAreServerMicroseconds: on a real server a fence is the server clock in µs
// (exact as a JSON number), and the lock key carries it beside the owner token.
func TestFencesAreServerMicroseconds(t *testing.T) {
	s := startServer(t)
	c := newClient(t, s.Addr())
	b := newBackend(t, c, redislock.WithPrefix("f:"))
	ctx := testCtx(t)
	l := newLock(t, b, "order")
	var last uint64
	for i := 0; i < 5; i++ {
		before := uint64(time.Now().Add(-time.Minute).UnixMicro())
		require.NoError(t, l.Acquire(ctx))
		assert.Greater(t, l.Fence(), last)
		assert.Greater(t, l.Fence(), before, "the server clock in µs")
		assert.LessOrEqual(t, l.Fence(), uint64(time.Now().Add(time.Minute).UnixMicro()))
		assert.LessOrEqual(t, l.Fence(), uint64(1)<<53)
		v, err := c.Get(ctx, "f:{order}").Result()
		require.NoError(t, err)
		assert.True(t, strings.HasSuffix(v, " "+strconv.FormatUint(l.Fence(), 10)), "the key holds %q", v)
		last = l.Fence()
		require.NoError(t, l.Release(ctx))
	}
	ttl, err := c.PTTL(ctx, "f:fence:v2").Result()
	require.NoError(t, err)
	assert.Equal(t, time.Duration(-1), ttl, "the counter has no TTL")
}

// TestWokenAcrossBackends: a waiter in another backend (another process, as far as Redis
// can tell) is woken by the release message, not by the holder's 30s lease running out.
func TestWokenAcrossBackends(t *testing.T) {
	servers(t, func(t *testing.T, addr string) {
		ctx := testCtx(t)
		a := newBackend(t, newClient(t, addr))
		b := newBackend(t, newClient(t, addr))
		holder := newLock(t, a, "shared")
		require.NoError(t, holder.Acquire(ctx))
		waiter := newLock(t, b, "shared", lock.WithBlocking(eventually))
		got := make(chan error, 1)
		go func() { got <- waiter.Acquire(ctx) }()
		time.Sleep(50 * time.Millisecond)
		require.NoError(t, holder.Release(ctx))
		require.NoError(t, <-got, "woken before the 30s lease could run out")
		assert.Greater(t, waiter.Fence(), holder.Fence())
		require.NoError(t, waiter.Release(ctx))
	})
}

// TestNothingLeftBehind: after many contended cycles over many names, the backend keeps no
// per-name state, and Redis keeps only the one fence counter of a plain server.
func TestNothingLeftBehind(t *testing.T) {
	servers(t, func(t *testing.T, addr string) {
		ctx := testCtx(t)
		c := newClient(t, addr)
		b := newBackend(t, c, redislock.WithPrefix("mem:"))
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 50; i++ {
					l := newLock(t, b, "n"+strconv.Itoa(i%10))
					if assert.NoError(t, l.Acquire(ctx)) {
						assert.NoError(t, l.Release(ctx))
					}
				}
			}()
		}
		wg.Wait()
		assert.Eventually(t, func() bool {
			q, h, ch := b.State()
			return q == 0 && h == 0 && ch == 0
		}, eventually, 10*time.Millisecond, "per-name state left in the process")
		keys, err := c.Keys(ctx, "mem:*").Result()
		require.NoError(t, err)
		assert.Equal(t, []string{"mem:fence:v2"}, keys)
	})
}

func TestEvents(t *testing.T) {
	ctx := testCtx(t)
	b, _, _ := newMiniBackend(t)
	ev := &events{}
	l := newLock(t, b, "ev", lock.WithObserver(ev), lock.WithTimeout(100*time.Millisecond))
	other := newLock(t, b, "ev", lock.WithObserver(ev), lock.WithBlocking(lock.NoWait))
	require.NoError(t, l.Acquire(ctx))
	assert.ErrorIs(t, other.Acquire(ctx), lock.ErrNotAcquired)
	waitClosed(t, l.Lost(), "Lost at the timeout")
	next := newLock(t, b, "ev", lock.WithObserver(ev), lock.WithBlocking(eventually))
	require.NoError(t, next.Acquire(ctx), "the key expires on the server just after Lost closed")
	require.NoError(t, next.Release(ctx))
	for _, k := range []lock.EventKind{lock.Acquired, lock.NotAcquired, lock.Lost, lock.Released} {
		e, ok := ev.find(k)
		if assert.True(t, ok, "event %v", k) {
			assert.Equal(t, "ev", e.Name)
		}
	}
	e, _ := ev.find(lock.Acquired)
	assert.NotZero(t, e.Fence)
}

func TestNewRejectsBadOptions(t *testing.T) {
	c := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true})
	defer c.Close()
	for what, o := range map[string]redislock.Option{
		"lease":    redislock.WithLease(0),
		"fraction": redislock.WithRenewFraction(0.9),
		"drift":    redislock.WithDriftMargin(time.Hour),
		"defaults": redislock.WithDefaults(driver.Options{Blocking: -5}),
		"nil":      nil,
	} {
		_, err := redislock.New(c, o)
		assert.ErrorIs(t, err, lock.ErrInvalid, what)
	}
	_, err := redislock.New(nil)
	assert.ErrorIs(t, err, lock.ErrInvalid)
}
