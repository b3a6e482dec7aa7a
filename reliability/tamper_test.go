package reliability_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redistest"
	"github.com/batonlock/baton/lock"
	redislock "github.com/batonlock/baton/lock/redis"
)

// Deleting the key, or giving it to another token, behind a leased holder's back is
// detected at the holder's next renewal: lock/redis TestLossBehindTheHoldersBack.

// fencedStore is storage that protects itself with fences, as RELIABILITY.md tells users
// to: it refuses a write whose fence is lower than one it has already accepted.
type fencedStore struct {
	mu   sync.Mutex
	last uint64
}

func (s *fencedStore) write(fence uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if fence < s.last {
		return false
	}
	s.last = fence
	return true
}

// tampered is a real server, a client on it to tamper with, and a backend on it.
func tampered(t *testing.T, opts ...redislock.Option) (*goredis.Client, *redislock.Backend, *redislock.Backend) {
	s := redistest.Start(t)
	c := newClient(t, s.Addr())
	opts = append([]redislock.Option{redislock.WithPrefix("t:")}, opts...)
	return c, newBackend(t, newClient(t, s.Addr()), opts...), newBackend(t, newClient(t, s.Addr()), opts...)
}

// TestTTLShortened: PEXPIRE behind a leased holder's back. NOT prevented: once the key
// expires a rival can take the lock while the holder still believes it holds. DETECTED at
// the holder's next renewal (within a third of the lease), which marks the hold lost; in
// between, the fences keep the store safe: the rival's fence is higher, so the store
// refuses the old holder's late write.
func TestTTLShortened(t *testing.T) {
	const lease = 900 * time.Millisecond
	c, a, b := tampered(t, redislock.WithLease(lease))
	ctx := testCtx(t)
	store := &fencedStore{}
	holder := newLock(t, a, "short")
	require.NoError(t, holder.Acquire(ctx))
	acquired := time.Now()
	require.True(t, store.write(holder.Fence()))

	require.NoError(t, c.PExpire(ctx, "t:{short}", 10*time.Millisecond).Err())
	rival := newLock(t, b, "short", lock.WithBlocking(eventually))
	require.NoError(t, rival.Acquire(ctx), "the shortened key expired")
	overlap := !isClosed(holder.Lost())
	require.True(t, store.write(rival.Fence()))
	assert.Greater(t, rival.Fence(), holder.Fence())
	assert.False(t, store.write(holder.Fence()), "the store refuses the stale holder")

	waitClosed(t, holder.Lost(), "the next renewal finds the key taken")
	t.Logf("holder told %v after Acquire (renewal every %v); rival took the lock while the holder still believed it held: %v",
		time.Since(acquired).Round(time.Millisecond), lease/3, overlap)
	assert.ErrorIs(t, holder.Extend(ctx, lease), lock.ErrNotHeld)
	assert.ErrorIs(t, holder.Release(ctx), lock.ErrNotHeld)
	require.NoError(t, rival.Release(ctx), "the stale holder did not free the rival's key")
}

// TestFenceCounterReset: the fence counter deleted, set lower or given a TTL between two
// holds. HARMLESS: the next fence is the server clock in µs when that is ahead of the
// counter, and the clock is past every fence handed out so far, so fences keep growing
// (PROTOCOL.md, "Fences"). A hold that finds the key already its own keeps the fence the
// key holds: reliability TestGrantLostAndCounterDeleted.
func TestFenceCounterReset(t *testing.T) {
	c, a, _ := tampered(t)
	ctx := testCtx(t)
	l := newLock(t, a, "fence")
	resets := map[string]func() error{
		"deleted":  func() error { return c.Del(ctx, "t:fence:v2").Err() },
		"set to 1": func() error { return c.Set(ctx, "t:fence:v2", "1", time.Hour).Err() },
		"set lower": func() error {
			n, err := c.Get(ctx, "t:fence:v2").Uint64()
			if err != nil {
				return err
			}
			return c.Set(ctx, "t:fence:v2", strconv.FormatUint(n/2, 10), 0).Err()
		},
		"expiring": func() error { return c.PExpire(ctx, "t:fence:v2", time.Millisecond).Err() },
	}
	var last uint64
	for _, what := range []string{"deleted", "set to 1", "set lower", "expiring", "deleted"} {
		require.NoError(t, l.Acquire(ctx))
		assert.Greater(t, l.Fence(), last, "after the fence counter was %s", what)
		last = l.Fence()
		require.NoError(t, l.Release(ctx))
		require.NoError(t, resets[what](), what)
	}
	require.NoError(t, l.Acquire(ctx))
	assert.Greater(t, l.Fence(), last)
	require.NoError(t, l.Release(ctx))
	ttl, err := c.PTTL(ctx, "t:fence:v2").Result()
	require.NoError(t, err)
	assert.Equal(t, time.Duration(-1), ttl, "the next acquisition writes the counter back, without a TTL")
}

// TestFenceCounterGarbage: the fence counter holds something that is not a number, or is
// not a string at all. Not a number: HARMLESS, it counts as no counter (the clock's fence,
// which still grows) and is written over. Wrong type: DETECTED, every Acquire of a name the
// counter serves (every name, on a plain server) fails with Redis's WRONGTYPE error and
// nobody holds the lock, until the key is deleted.
func TestFenceCounterGarbage(t *testing.T) {
	c, a, _ := tampered(t)
	ctx := testCtx(t)
	l := newLock(t, a, "garbage", lock.WithBlocking(2*time.Second))
	require.NoError(t, l.Acquire(ctx))
	first := l.Fence()
	require.NoError(t, l.Release(ctx))

	require.NoError(t, c.Set(ctx, "t:fence:v2", "not a number", 0).Err())
	require.NoError(t, l.Acquire(ctx), "a counter that is not a number counts as none")
	assert.Greater(t, l.Fence(), first)
	require.NoError(t, l.Release(ctx))

	require.NoError(t, c.Del(ctx, "t:fence:v2").Err())
	require.NoError(t, c.HSet(ctx, "t:fence:v2", "f", "1").Err())
	try := newLock(t, a, "garbage", lock.WithBlocking(300*time.Millisecond))
	err := try.Acquire(ctx)
	assert.ErrorIs(t, err, lock.ErrNotAcquired)
	assert.ErrorContains(t, err, "WRONGTYPE")
	assert.Eventually(t, func() bool {
		n, err := c.Exists(ctx, "t:{garbage}").Result()
		return err == nil && n == 0
	}, eventually, 10*time.Millisecond, "the failed try is undone: nobody holds the lock")

	require.NoError(t, c.Del(ctx, "t:fence:v2").Err())
	require.NoError(t, l.Acquire(ctx), "the name works again once the key is deleted")
	assert.Greater(t, l.Fence(), first)
	require.NoError(t, l.Release(ctx))
}

// TestScriptFlush: SCRIPT FLUSH while a leased hold lasts and a waiter of another backend
// waits. The renewals, the release and the waiter's next try load the scripts again
// (EVALSHA falls back on EVAL): the hold is not lost and the waiter gets the lock. The
// server restarted with a new run id (script cache and keys gone) is
// lock/redis TestServerRestart.
func TestScriptFlush(t *testing.T) {
	const lease = 300 * time.Millisecond
	c, a, b := tampered(t, redislock.WithLease(lease))
	ctx := testCtx(t)
	holder := newLock(t, a, "flush")
	require.NoError(t, holder.Acquire(ctx))
	waiter := newLock(t, b, "flush", lock.WithBlocking(eventually))
	got := make(chan error, 1)
	go func() { got <- waiter.Acquire(ctx) }()
	flushes := 0
	for end := time.Now().Add(3 * lease); time.Now().Before(end); flushes++ {
		require.NoError(t, c.ScriptFlush(ctx).Err())
		time.Sleep(lease / 10)
	}
	t.Logf("%d SCRIPT FLUSHes while holding and waiting", flushes+3)
	assert.False(t, isClosed(holder.Lost()), "renewals survived %d flushes", flushes)
	require.NoError(t, c.ScriptFlush(ctx).Err())
	require.NoError(t, holder.Extend(ctx, lease))
	require.NoError(t, c.ScriptFlush(ctx).Err())
	require.NoError(t, holder.Release(ctx))
	select {
	case err := <-got:
		require.NoError(t, err)
	case <-time.After(eventually):
		t.Fatal("the waiter did not get the lock")
	}
	assert.Greater(t, waiter.Fence(), holder.Fence())
	require.NoError(t, c.ScriptFlush(ctx).Err())
	require.NoError(t, waiter.Release(ctx))
	n, err := c.Exists(context.Background(), "t:{flush}").Result()
	require.NoError(t, err)
	assert.Zero(t, n)
}
