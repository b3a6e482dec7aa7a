package redis_test

import (
	"context"
	"sync"
	"testing"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
	redislock "github.com/batonlock/baton/lock/redis"
)

// holdTry is a go-redis hook that holds back the first try of a queueing waiter (wait.lua or
// multi.lua: six keys) until proceed is closed, and closes withdrawn once a withdrawal from
// the server's queue (grant.lua with its last argument "1", or multi_release.lua with a
// fence of 0) has been answered.
type holdTry struct {
	once      sync.Once
	held      chan struct{} // closed when the try is held back
	proceed   chan struct{}
	withdrawn chan struct{}
	wOnce     sync.Once
}

func (h *holdTry) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (h *holdTry) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		return h.process(ctx, []goredis.Cmder{cmd}, func() error { return next(ctx, cmd) })
	}
}

func (h *holdTry) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		return h.process(ctx, cmds, func() error { return next(ctx, cmds) })
	}
}

func (h *holdTry) process(ctx context.Context, cmds []goredis.Cmder, next func() error) error {
	withdrawal := false
	for _, cmd := range cmds {
		args := cmd.Args()
		if len(args) < 3 || (args[0] != "evalsha" && args[0] != "eval") {
			continue
		}
		switch n, _ := args[2].(int); {
		case n == 6:
			h.once.Do(func() {
				close(h.held)
				select {
				case <-h.proceed:
				case <-ctx.Done():
				}
			})
		case n == 4 && args[len(args)-1] == "1", n == 5 && args[len(args)-1] == uint64(0):
			withdrawal = true
		}
	}
	err := next()
	if withdrawal {
		h.wOnce.Do(func() { close(h.withdrawn) })
	}
	return err
}

// closeDuringTry holds back the first queueing try of wl, a waiter of wb whose client has
// hook h, until Close has begun to wait for it or, without that wait, until Close's
// withdrawal has been answered; then it closes wb and returns when both have ended.
func closeDuringTry(t *testing.T, ctx context.Context, h *holdTry, wb *redislock.Backend, wl lock.Locker) {
	t.Helper()
	closing := make(chan struct{})
	wb.OnClosing(func() { close(closing) })
	got := waitFor(ctx, wl)
	<-h.held
	closed := make(chan error, 1)
	go func() { closed <- wb.Close() }()
	go func() {
		select {
		case <-closing:
		case <-h.withdrawn:
		}
		close(h.proceed)
	}()
	require.NoError(t, <-closed)
	require.ErrorIs(t, <-got, lock.ErrClosed)
}

// newHoldTry returns a holdTry, a client to addr and a waiter's client to addr through it.
func newHoldTry(t *testing.T, addr string) (h *holdTry, c, wc *goredis.Client) {
	h = &holdTry{held: make(chan struct{}), proceed: make(chan struct{}), withdrawn: make(chan struct{})}
	c, wc = newClient(t, addr), newClient(t, addr)
	wc.AddHook(h)
	return h, c, wc
}

// TestCloseWaitsForTryInFlight: Close withdraws its waiters from the server's queues only
// once their tries in flight have been answered. A try that reached the server after the
// withdrawal queued the gone waiter's token again, and the next Release granted it the
// lock, which nobody then held for the grant TTL (3 s).
func TestCloseWaitsForTryInFlight(t *testing.T) {
	servers(t, func(t *testing.T, addr string) {
		ctx := testCtx(t)
		h, c, wc := newHoldTry(t, addr)
		x := &across{c: c, key: "g:{inflight}", wb: newBackend(t, wc, redislock.WithPrefix("g:"))}
		x.holder = newLock(t, newBackend(t, c, redislock.WithPrefix("g:")), "inflight")
		require.NoError(t, x.holder.Acquire(ctx))
		closeDuringTry(t, ctx, h, x.wb, newLock(t, x.wb, "inflight"))
		x.requireNotGranted(t, ctx)
	})
}

// TestCloseWaitsForPermitTryInFlight: the same for a permit waiter, whose first try queues
// it on the server.
func TestCloseWaitsForPermitTryInFlight(t *testing.T) {
	servers(t, func(t *testing.T, addr string) {
		ctx := testCtx(t)
		h, c, wc := newHoldTry(t, addr)
		a := newBackend(t, c, redislock.WithPrefix("pi:"))
		held := []*redislock.Lock{newLock(t, a, "p", lock.WithPermits(2)), newLock(t, a, "p", lock.WithPermits(2))}
		for _, l := range held {
			require.NoError(t, l.Acquire(ctx))
		}
		wb := newBackend(t, wc, redislock.WithPrefix("pi:"))
		closeDuringTry(t, ctx, h, wb, newLock(t, wb, "p", lock.WithPermits(2)))

		n, err := c.Exists(ctx, "pi:{p}:queue", "pi:{p}:waiters").Result()
		require.NoError(t, err)
		assert.Zero(t, n, "Close left its permit waiter in the server's queue")
		require.NoError(t, held[0].Release(ctx))
		third := newLock(t, newBackend(t, newClient(t, addr), redislock.WithPrefix("pi:")), "p",
			lock.WithPermits(2), lock.WithBlocking(lock.NoWait))
		require.NoError(t, third.Acquire(ctx), "the freed permit was granted to the closed backend's waiter")
		require.NoError(t, third.Release(ctx))
		require.NoError(t, held[1].Release(ctx))
	})
}
