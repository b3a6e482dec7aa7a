package redis_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redistest"
	"github.com/batonlock/baton/lock"
	redislock "github.com/batonlock/baton/lock/redis"
)

func TestServerDown(t *testing.T) {
	s := startServer(t)
	c := goredis.NewClient(&goredis.Options{Addr: s.Addr(), MaxRetries: -1, DialerRetries: 1, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = c.Close() })
	b := newBackend(t, c)
	s.Kill()

	l := newLock(t, b, "down", lock.WithBlocking(300*time.Millisecond))
	err := l.Acquire(testCtx(t))
	assert.ErrorIs(t, err, lock.ErrNotAcquired, "the blocking window ended")
	assert.ErrorIs(t, err, syscall.ECONNREFUSED, "and says why")
	assert.Contains(t, err.Error(), `"down"`)

	ctx, cancel := context.WithTimeout(testCtx(t), 300*time.Millisecond)
	defer cancel()
	err = newLock(t, b, "down").Acquire(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotErrorIs(t, err, lock.ErrNotAcquired)

	err = newLock(t, b, "down", lock.WithBlocking(lock.NoWait)).Acquire(testCtx(t))
	assert.ErrorIs(t, err, lock.ErrNotAcquired)
	assert.ErrorIs(t, err, syscall.ECONNREFUSED)
	assert.NotErrorIs(t, err, context.DeadlineExceeded)

	_, err = l.Locked(testCtx(t))
	assert.ErrorIs(t, err, syscall.ECONNREFUSED)
}

// TestLeaseLostWhenServerDies: renewals fail, and the hold is marked lost at its safe
// deadline, before the key could have expired.
func TestLeaseLostWhenServerDies(t *testing.T) {
	s := startServer(t)
	b := newBackend(t, newClient(t, s.Addr()), redislock.WithLease(300*time.Millisecond))
	ev := &events{}
	l := newLock(t, b, "dies", lock.WithObserver(ev))
	require.NoError(t, l.Acquire(testCtx(t)))
	s.Kill()
	waitClosed(t, l.Lost(), "Lost after the server died")
	e, ok := ev.find(lock.Lost)
	require.True(t, ok)
	assert.Contains(t, e.Err.Error(), "not renewed")
	assert.Eventually(t, func() bool { _, ok := ev.find(lock.BackendError); return ok },
		eventually, 10*time.Millisecond, "the failed renewal is reported")
	assert.ErrorIs(t, l.Release(testCtx(t)), lock.ErrNotHeld)
}

// TestServerRestart: after a restart (keys and script cache gone) locks work again, and a
// waiter is woken by the resubscription instead of sleeping out the old key's TTL.
func TestServerRestart(t *testing.T) {
	s := startServer(t)
	b := newBackend(t, newClient(t, s.Addr()), redislock.WithLease(3*time.Second))
	ctx := testCtx(t)
	holder := newLock(t, b, "restart")
	require.NoError(t, holder.Acquire(ctx))
	other := newLock(t, b, "restart", lock.WithBlocking(eventually))
	got := make(chan error, 1)
	go func() { got <- other.Acquire(ctx) }()
	time.Sleep(100 * time.Millisecond)

	s.Restart()
	select {
	case err := <-got:
		require.NoError(t, err, "the waiter takes the lock the restart freed")
	case <-time.After(eventually):
		t.Fatal("the waiter was not woken after the restart")
	}
	require.NoError(t, other.Release(ctx))
	// The holder learns at its next renewal that its key is gone.
	waitClosed(t, holder.Lost(), "the old holder's Lost")
}

// TestLostBeforeExpiryOnStalledLink: the link to the server stalls, so renewals get no
// answer; the hold is marked lost while its key still exists on the server, that is before
// anyone else could take the lock.
func TestLostBeforeExpiryOnStalledLink(t *testing.T) {
	s := startServer(t)
	p := redistest.StartProxy(t, s.Addr())
	direct := newClient(t, s.Addr())
	const lease, margin = 600 * time.Millisecond, 100 * time.Millisecond
	b := newBackend(t, newClient(t, p.Addr()), redislock.WithLease(lease),
		redislock.WithDriftMargin(margin), redislock.WithPrefix("stall:"))
	ctx := testCtx(t)
	l := newLock(t, b, "x")
	require.NoError(t, l.Acquire(ctx))
	p.Pause()
	defer p.Resume()

	waitClosed(t, l.Lost(), "Lost on a stalled link")
	ttl, err := direct.PTTL(ctx, "stall:{x}").Result()
	require.NoError(t, err)
	assert.Greater(t, ttl, time.Duration(0), "the key still exists when Lost closes")
	assert.Less(t, ttl, lease, "the lease was not renewed")
}
