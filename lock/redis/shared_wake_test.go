package redis_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redistest"
	"github.com/batonlock/baton/lock"
	redislock "github.com/batonlock/baton/lock/redis"
)

// sleptLong waits until the waiter whose tries counter is tries has stopped trying
// every few ms (the 10 ms retries before its channel is confirmed) and sleeps for long.
func sleptLong(t *testing.T, tries *commandCounter) {
	t.Helper()
	last := int64(-1)
	require.Eventually(t, func() bool {
		n := tries.n.Load()
		quiet := n > 0 && n == last
		last = n
		return quiet
	}, eventually, 250*time.Millisecond, "the waiter never went to sleep")
}

// TestSharedWaiterAfterWriterGivesUp: a reader of process C waits only because a writer
// of process B is queued on the server (multi.lua refuses shared tries while a live
// exclusive entry is queued), beside a shared hold of process A, which it could share. The
// writer gives up (its ctx ends) and withdraws its entry: nothing is in the reader's way
// any more. The reader slept until the first shared hold's expiry (its lease, 30 s), the
// only time multi.lua reported; now it sleeps no longer than the writer's entry lives
// (grant TTL / 2, 1.5 s), and then takes its shared hold.
func TestSharedWaiterAfterWriterGivesUp(t *testing.T) {
	addr := startServer(t).Addr()
	ctx := testCtx(t)
	look := newClient(t, addr)

	a := newBackend(t, newClient(t, addr), redislock.WithPrefix("rw:"))
	r1 := newLock(t, a, "rw", lock.WithShared())
	require.NoError(t, r1.Acquire(ctx))

	b := newBackend(t, newClient(t, addr), redislock.WithPrefix("rw:"))
	writer := newLock(t, b, "rw")
	wctx, giveUp := context.WithCancel(ctx)
	defer giveUp()
	wrote := waitFor(wctx, writer)
	queued(t, look, "rw:{rw}", 1)

	cc := newClient(t, addr)
	tries := &commandCounter{only: permitTry}
	cc.AddHook(tries)
	c := newBackend(t, cc, redislock.WithPrefix("rw:"))
	r2 := newLock(t, c, "rw", lock.WithShared())
	got := waitFor(ctx, r2)
	sleptLong(t, tries)

	giveUp()
	require.ErrorIs(t, <-wrote, context.Canceled)
	queued(t, look, "rw:{rw}", 0)

	select {
	case err := <-got:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatalf("the reader still waits 5s after the writer in its way gave up (tries: %d)", tries.n.Load())
	}
	require.NoError(t, r2.Release(ctx))
	require.NoError(t, r1.Release(ctx))
}

// TestSharedWaiterAfterDeadWriterEntry: as above, but the writer's process stops
// answering (its link stalls, as a crashed or partitioned process) instead of giving up:
// its entry on the server lives grant TTL / 2 (1.5 s) after its last refresh, and then
// nothing is in the reader's way. The reader takes its shared hold once that entry has
// expired, not when the first shared hold would (its lease, 30 s).
func TestSharedWaiterAfterDeadWriterEntry(t *testing.T) {
	addr := startServer(t).Addr()
	ctx := testCtx(t)
	look := newClient(t, addr)

	a := newBackend(t, newClient(t, addr), redislock.WithPrefix("rd:"))
	r1 := newLock(t, a, "rd", lock.WithShared())
	require.NoError(t, r1.Acquire(ctx))

	p := redistest.StartProxy(t, addr)
	b := newBackend(t, newClient(t, p.Addr()), redislock.WithPrefix("rd:"))
	writer := newLock(t, b, "rd")
	wctx, giveUp := context.WithCancel(ctx)
	wrote := waitFor(wctx, writer)
	queued(t, look, "rd:{rd}", 1)
	p.Pause() // the writer's process is gone, as far as the server can tell
	defer func() { giveUp(); p.Resume(); <-wrote }()

	cc := newClient(t, addr)
	tries := &commandCounter{only: permitTry}
	cc.AddHook(tries)
	c := newBackend(t, cc, redislock.WithPrefix("rd:"))
	r2 := newLock(t, c, "rd", lock.WithShared())
	got := waitFor(ctx, r2)
	sleptLong(t, tries)

	// The dead writer's entry expires within 1.5 s of its last refresh.
	select {
	case err := <-got:
		require.NoError(t, err)
	case <-time.After(8 * time.Second):
		t.Fatalf("the reader still waits 8s after the dead writer's entry (1.5 s life) went (tries: %d)", tries.n.Load())
	}
	require.NoError(t, r2.Release(ctx))
	require.NoError(t, r1.Release(ctx))
}

// TestLockedAfterLastPermitExpired: Locked reports whether anyone holds the lock. Two
// permits: A holds with a one-hour timeout, B with a 300 ms one; A releases, then B's hold
// expires (its process is gone, say). Nobody holds the name any more, and Locked must say
// so: it looks at whether the holders set's key exists, and multi_release.lua now cuts the
// key's TTL to the longest-lived hold left, where it kept A's hour.
func TestLockedAfterLastPermitExpired(t *testing.T) {
	addr := startServer(t).Addr()
	ctx := testCtx(t)
	b := newBackend(t, newClient(t, addr), redislock.WithPrefix("lk:"))
	a := newLock(t, b, "lk", lock.WithPermits(2), lock.WithTimeout(time.Hour))
	short := newLock(t, b, "lk", lock.WithPermits(2), lock.WithTimeout(300*time.Millisecond))
	require.NoError(t, a.Acquire(ctx))
	require.NoError(t, short.Acquire(ctx))
	require.NoError(t, a.Release(ctx))
	waitClosed(t, short.Lost(), "the short hold never ended")
	require.Eventually(t, func() bool {
		held, err := a.Locked(ctx)
		return err == nil && !held
	}, 3*time.Second, 20*time.Millisecond, "Locked still reports the name held, though its last hold expired")
}
