package redis_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redistest"
	"github.com/batonlock/baton/lock"
	redislock "github.com/batonlock/baton/lock/redis"
)

// TestPassByScriptBoundedByWindow: a parked waiter with a 300 ms blocking window is made an
// offer by a Release of its process whose hand-off script stalls on the link. The waiter's
// Acquire must end at its window ("Every wait is bounded by the Acquire's ctx and blocking
// window"); it waited for the Release's script instead, for as long as the Release's ctx
// allowed (here: for ever). Once the script lands, the Release frees the key it passed to
// the waiter that gave up.
func TestPassByScriptBoundedByWindow(t *testing.T) {
	ctx := testCtx(t)
	s := startServer(t)
	direct := newClient(t, s.Addr())
	g := &redistest.Gate{}
	c := newClient(t, s.Addr())
	c.AddHook(g)
	b := newBackend(t, c, redislock.WithPrefix("ow:"))
	// A hold with a timeout, a leased waiter: the pass is made by the hand-off script.
	holder := newLock(t, b, "pw", lock.WithTimeout(10*time.Second))
	waiter := newLock(t, b, "pw", lock.WithBlocking(300*time.Millisecond))
	require.NoError(t, holder.Acquire(ctx))
	got := waitFor(ctx, waiter)
	parked(t, b, "pw")

	held := g.Hold("ow:{pw}") // the Release's hand-off script
	released := make(chan error, 1)
	go func() { released <- holder.Release(context.Background()) }()
	waitClosed(t, held.Reached(), "the hand-off script never ran")

	select {
	case err := <-got:
		assert.ErrorIs(t, err, lock.ErrNotAcquired)
	case <-time.After(3 * time.Second):
		held.Open()
		t.Fatal("Acquire with a 300ms blocking window still waits after 3s, for a Release's stalled hand-off")
	}
	held.Open()
	require.NoError(t, <-released)
	require.Eventually(t, func() bool {
		n, err := direct.Exists(ctx, "ow:{pw}").Result()
		return err == nil && n == 0
	}, eventually, time.Millisecond, "the key passed to the waiter that gave up is still taken")
}

// TestPermitPassBoundedByWindow: the same for a permit: a Release that admits the parked
// permit waiter of its process in its script (PROTOCOL.md, "Permit hand-off") stalls on
// the link; the waiter's Acquire ends at its window, and the permit the script admitted it
// to is freed.
func TestPermitPassBoundedByWindow(t *testing.T) {
	ctx := testCtx(t)
	s := startServer(t)
	direct := newClient(t, s.Addr())
	g := &redistest.Gate{}
	c := newClient(t, s.Addr())
	c.AddHook(g)
	b := newBackend(t, c, redislock.WithPrefix("op:"))
	h1 := newLock(t, b, "pp", lock.WithPermits(2))
	h2 := newLock(t, b, "pp", lock.WithPermits(2))
	waiter := newLock(t, b, "pp", lock.WithPermits(2), lock.WithBlocking(300*time.Millisecond))
	require.NoError(t, h1.Acquire(ctx))
	require.NoError(t, h2.Acquire(ctx))
	got := waitFor(ctx, waiter)
	queued(t, direct, "op:{pp}", 1)
	parked(t, b, "pp")

	held := g.Hold("op:{pp}:holders") // h1's release, which admits the waiter
	released := make(chan error, 1)
	go func() { released <- h1.Release(context.Background()) }()
	waitClosed(t, held.Reached(), "the release script never ran")

	select {
	case err := <-got:
		assert.ErrorIs(t, err, lock.ErrNotAcquired)
	case <-time.After(3 * time.Second):
		held.Open()
		t.Fatal("Acquire with a 300ms blocking window still waits after 3s, for a Release's stalled script")
	}
	held.Open()
	require.NoError(t, <-released)
	require.Eventually(t, func() bool {
		n, err := direct.ZCard(ctx, "op:{pp}:holders").Result()
		return err == nil && n == 1
	}, eventually, time.Millisecond, "the permit admitted to the waiter that gave up is still taken")
	require.NoError(t, h2.Release(ctx))
}
