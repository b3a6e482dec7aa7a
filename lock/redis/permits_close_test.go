package redis_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
	redislock "github.com/batonlock/baton/lock/redis"
)

// TestCloseWithdrawsQueuedPermitWaiters: Close takes its permit waiters out of the
// server's queue, as it does its exclusive ones, so that the next release frees the permit
// for others instead of granting it to a backend that is gone, where nobody would hold it
// for up to the grant TTL.
func TestCloseWithdrawsQueuedPermitWaiters(t *testing.T) {
	servers(t, func(t *testing.T, addr string) {
		ctx := testCtx(t)
		c := newClient(t, addr)
		permits := func(b *redislock.Backend) *redislock.Lock {
			return newLock(t, b, "close", lock.WithPermits(2))
		}
		a := newBackend(t, newClient(t, addr), redislock.WithPrefix("pc:"))
		held := []*redislock.Lock{permits(a), permits(a)}
		for _, h := range held {
			require.NoError(t, h.Acquire(ctx))
		}
		b := newBackend(t, newClient(t, addr), redislock.WithPrefix("pc:"))
		got := waitFor(ctx, permits(b))
		queued(t, c, "pc:{close}", 1)
		// Parked: the try it makes once its subscription is confirmed has been answered. A
		// Close while a try is on its way is TestCloseWaitsForPermitTryInFlight.
		parked(t, b, "close")

		require.NoError(t, b.Close())
		require.ErrorIs(t, <-got, lock.ErrClosed)
		require.NoError(t, held[0].Release(ctx))

		other := newBackend(t, newClient(t, addr), redislock.WithPrefix("pc:"))
		third := newLock(t, other, "close", lock.WithPermits(2), lock.WithBlocking(lock.NoWait))
		require.NoError(t, third.Acquire(ctx), "the freed permit was granted to the closed backend's waiter")
		n, err := c.Exists(ctx, "pc:{close}:queue", "pc:{close}:waiters").Result()
		require.NoError(t, err)
		assert.Zero(t, n, "Close left its permit waiter in the server's queue")
		require.NoError(t, third.Release(ctx))
		require.NoError(t, held[1].Release(ctx))
	})
}

// TestCloseFreesPermitGrantedToQueuedWaiter: a permit granted to a waiter whose try is
// still on its way back is freed by Close, which withdraws the waiter with the permit
// release script: the withdrawal of an exclusive waiter (grant.lua) would leave the permit
// held by nobody for the grant TTL.
func TestCloseFreesPermitGrantedToQueuedWaiter(t *testing.T) {
	servers(t, func(t *testing.T, addr string) {
		ctx := testCtx(t)
		c := newClient(t, addr)
		a := newBackend(t, newClient(t, addr), redislock.WithPrefix("pg:"))
		held := []*redislock.Lock{newLock(t, a, "grant", lock.WithPermits(2)), newLock(t, a, "grant", lock.WithPermits(2))}
		for _, h := range held {
			require.NoError(t, h.Acquire(ctx))
		}
		gate := &replyGate{only: permitTry, reached: make(chan struct{}), open: make(chan struct{})}
		defer gate.release()
		withdrawals := &commandCounter{only: func(cmd goredis.Cmder) bool { return script(cmd) && !permitTry(cmd) }}
		bc := newClient(t, addr)
		bc.AddHook(gate)
		bc.AddHook(withdrawals)
		b := newBackend(t, bc, redislock.WithPrefix("pg:"))
		got := waitFor(ctx, newLock(t, b, "grant", lock.WithPermits(2)))
		waitClosed(t, gate.reached, "the waiter's first try never ran")
		queued(t, c, "pg:{grant}", 1)

		require.NoError(t, held[0].Release(ctx))
		holders, err := c.ZCard(ctx, "pg:{grant}:holders").Result()
		require.NoError(t, err)
		require.Equal(t, int64(2), holders, "the freed permit was not granted to the queued waiter")

		closed := make(chan error, 1)
		go func() { closed <- b.Close() }()
		require.Eventually(t, func() bool { return withdrawals.n.Load() > 0 }, eventually, time.Millisecond,
			"Close never withdrew its queued permit waiter")
		gate.release() // the try's reply comes after Close withdrew its token
		require.NoError(t, <-closed)
		require.ErrorIs(t, <-got, lock.ErrClosed)

		other := newBackend(t, newClient(t, addr), redislock.WithPrefix("pg:"))
		third := newLock(t, other, "grant", lock.WithPermits(2), lock.WithBlocking(lock.NoWait))
		require.NoError(t, third.Acquire(ctx), "the permit granted to the closed backend's waiter was not freed")
		require.NoError(t, third.Release(ctx))
		require.NoError(t, held[1].Release(ctx))
	})
}

// script reports whether cmd runs a script.
func script(cmd goredis.Cmder) bool {
	args := cmd.Args()
	return len(args) > 0 && (args[0] == "evalsha" || args[0] == "eval")
}

// replyGate is a go-redis hook that plays a slow reply: it holds the reply to the first
// command that only accepts (alone or in a pipeline), after the server has run it, until
// release or the command's ctx ends.
type replyGate struct {
	only    func(goredis.Cmder) bool
	reached chan struct{} // closed when the server has run the command
	open    chan struct{}
	taken   atomic.Bool
	once    sync.Once
}

func (g *replyGate) release() { g.once.Do(func() { close(g.open) }) }

// hold holds the reply to cmds when one of them is the first that only accepts.
func (g *replyGate) hold(ctx context.Context, cmds ...goredis.Cmder) {
	for _, cmd := range cmds {
		if g.only(cmd) && g.taken.CompareAndSwap(false, true) {
			close(g.reached)
			select {
			case <-g.open:
			case <-ctx.Done():
			}
			return
		}
	}
}

func (g *replyGate) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (g *replyGate) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		err := next(ctx, cmd)
		g.hold(ctx, cmd)
		return err
	}
}

func (g *replyGate) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		err := next(ctx, cmds)
		g.hold(ctx, cmds...)
		return err
	}
}
