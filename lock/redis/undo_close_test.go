package redis_test

import (
	"context"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redistest"
	"github.com/batonlock/baton/lock"
	redislock "github.com/batonlock/baton/lock/redis"
)

// flyingPipeline makes b's script batcher hold a pipeline in flight, held at g until the
// returned Held is opened: eight tries held at the client fill the batcher's slots, a
// ninth waits for a pipeline, and the first of the eight to finish flushes it.
func flyingPipeline(t *testing.T, ctx context.Context, g *redistest.Gate, b *redislock.Backend, prefix string) *redistest.Held {
	t.Helper()
	var busy []*redistest.Held
	var got []<-chan error
	for i := range 8 {
		name := "fly" + string(rune('a'+i))
		busy = append(busy, g.Hold(prefix+"{"+name+"}"))
		got = append(got, waitFor(ctx, newLock(t, b, name, lock.WithBlocking(lock.NoWait))))
		waitClosed(t, busy[i].Reached(), name+"'s try at the client")
	}
	last := g.Hold(prefix + "{flyz}")
	_ = waitFor(ctx, newLock(t, b, "flyz", lock.WithBlocking(lock.NoWait)))
	require.Eventually(t, func() bool { return inBatcher() >= 9 }, eventually, time.Millisecond,
		"the ninth try never waited for a pipeline")
	for i, h := range busy {
		h.Open()
		require.NoError(t, <-got[i])
	}
	waitClosed(t, last.Reached(), "the ninth try in its pipeline")
	return last
}

// TestCloseWithdrawsTokenOfUndoAtWork: a waiter queued on the server gives up (its ctx
// ends) and its undo waits for a pipeline in flight (Settle) before it withdraws the
// token. Close comes meanwhile and cancels the backend's ctx, under which the undo runs:
// Close must withdraw the token itself. It did not (the token had left its record when
// the attempt ended), and the next Release granted the lock to the gone waiter, which
// nobody then held for the grant TTL (Close's doc: no Release grants a lock to its waiters).
func TestCloseWithdrawsTokenOfUndoAtWork(t *testing.T) {
	ctx := testCtx(t)
	s := startServer(t)
	c := newClient(t, s.Addr())
	g := &redistest.Gate{}
	wc := newClient(t, s.Addr())
	wc.AddHook(g)
	opt := redislock.WithPrefix("rc:")
	wb := newBackend(t, wc, opt)
	holder := newLock(t, newBackend(t, newClient(t, s.Addr()), opt), "cu")
	require.NoError(t, holder.Acquire(ctx))
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	got := waitFor(wctx, newLock(t, wb, "cu"))
	queued(t, c, "rc:{cu}", 1)
	parked(t, wb, "cu")

	fly := flyingPipeline(t, ctx, g, wb, "rc:")
	defer fly.Open()
	cancel()
	require.ErrorIs(t, <-got, context.Canceled)
	require.NoError(t, wb.Close())

	n, err := c.HLen(ctx, "rc:{cu}:waiters").Result()
	require.NoError(t, err)
	assert.Zero(t, n, "the gone waiter is still in the server's queue")
	require.NoError(t, holder.Release(ctx))
	locked, err := holder.Locked(ctx)
	require.NoError(t, err)
	assert.False(t, locked, "the lock was granted to the gone waiter")
}

// withdrawals counts the withdrawals from a lock's queue on the server that a client sends
// (grant.lua with its last argument "1").
func withdrawals() *commandCounter {
	return &commandCounter{only: func(cmd goredis.Cmder) bool {
		args := cmd.Args()
		return queueScript(cmd) && args[len(args)-1] == "1"
	}}
}

// TestUndoAgainAfterSlowPipeline: an Acquire whose ctx ends while its try is in a pipeline
// on the way to the server returns at once, and its undo waits for that pipeline (Settle),
// but for at most undoWait (1 s); then it withdraws and finds nothing to free. The try
// reaches the server afterwards and takes the key under the gone attempt's token: the undo
// must wait on for that pipeline and withdraw once more. It gave up instead, and nobody
// held or freed the key for a whole lease (30 s).
func TestUndoAgainAfterSlowPipeline(t *testing.T) {
	ctx := testCtx(t)
	s := startServer(t)
	c := newClient(t, s.Addr())
	g := &redistest.Gate{}
	undos := withdrawals()
	wc := newClient(t, s.Addr())
	wc.AddHook(g)
	wc.AddHook(undos)
	b := newBackend(t, wc, redislock.WithPrefix("ru:"))

	var busy []*redistest.Held
	var got []<-chan error
	for i := range 8 {
		name := "fly" + string(rune('a'+i))
		busy = append(busy, g.Hold("ru:{"+name+"}"))
		got = append(got, waitFor(ctx, newLock(t, b, name, lock.WithBlocking(lock.NoWait))))
		waitClosed(t, busy[i].Reached(), name+"'s try at the client")
	}
	try := g.Hold("ru:{victim}")
	defer try.Open()
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	gave := waitFor(wctx, newLock(t, b, "victim"))
	require.Eventually(t, func() bool { return inBatcher() >= 9 }, eventually, time.Millisecond,
		"the victim's try never waited for a pipeline")
	for i, h := range busy {
		h.Open()
		require.NoError(t, <-got[i])
	}
	waitClosed(t, try.Reached(), "the victim's try in its pipeline")
	cancel()
	require.ErrorIs(t, <-gave, context.Canceled)
	require.Eventually(t, func() bool { return undos.n.Load() > 0 }, eventually, time.Millisecond,
		"the undo never ran")
	try.Open() // the try lands after its undo

	require.Eventually(t, func() bool {
		n, err := c.Exists(ctx, "ru:{victim}").Result()
		return err == nil && n == 0
	}, 5*time.Second, 10*time.Millisecond, "the key the gone attempt's late try took stays taken by nobody")
}
