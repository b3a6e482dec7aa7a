package redis_test

import (
	"context"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
	redislock "github.com/batonlock/baton/lock/redis"
)

// permitTry picks out the permit try (multi.lua, six keys) among a client's commands.
func permitTry(cmd goredis.Cmder) bool {
	args := cmd.Args()
	if len(args) < 3 || (args[0] != "evalsha" && args[0] != "eval") {
		return false
	}
	n, ok := args[2].(int)
	return ok && n == 6
}

// ownTTL reports how long the longest-lived hold of the permits lock at key has left on
// the server clock.
func ownTTL(t *testing.T, ctx context.Context, c *goredis.Client, key string) time.Duration {
	t.Helper()
	last, err := c.ZRangeWithScores(ctx, key+":holders", -1, -1).Result()
	require.NoError(t, err)
	require.Len(t, last, 1)
	now, err := c.Time(ctx).Result()
	require.NoError(t, err)
	return time.Duration(int64(last[0].Score)-now.UnixMilli()) * time.Millisecond
}

// TestPermitPassedToWaiterOfProcess (PROTOCOL.md, "Permit hand-off"): a permit released
// while a waiter of the same process sleeps parked, queued first on the server, is handed
// to it by the release script itself: the waiter holds on the Release's reply, with no try
// of its own and no grant message, for its own TTL (not the grant's 3 s), with a fence
// above every earlier hold's; and once all is released no key of the name is left. Both
// hold modes: without the hand-off the waiter would hold on the grant message, with the
// grant's TTL until its first renewal.
func TestPermitPassedToWaiterOfProcess(t *testing.T) {
	for mode, opts := range map[string][]lock.Option{
		"leased":  {lock.WithPermits(2)},
		"timeout": {lock.WithPermits(2), lock.WithTimeout(time.Minute)},
	} {
		t.Run(mode, func(t *testing.T) {
			servers(t, func(t *testing.T, addr string) {
				ctx := testCtx(t)
				c, look := newClient(t, addr), newClient(t, addr)
				tries := &commandCounter{only: permitTry}
				c.AddHook(tries)
				b := newBackend(t, c, redislock.WithPrefix("pp:"))
				held := []*redislock.Lock{newLock(t, b, "pass", opts...), newLock(t, b, "pass", opts...)}
				for _, h := range held {
					require.NoError(t, h.Acquire(ctx))
				}
				w := newLock(t, b, "pass", opts...)
				got := waitFor(ctx, w)
				parked(t, b, "pass")
				queued(t, look, "pp:{pass}", 1)

				before := tries.n.Load()
				require.NoError(t, held[0].Release(ctx))
				require.NoError(t, <-got)
				assert.Equal(t, before, tries.n.Load(), "the waiter tried on its own")
				assert.Equal(t, int64(1), b.Passed(), "the waiter did not hold on the release's reply")
				assert.Zero(t, b.Claimed(), "the waiter held on a grant message")
				assert.Greater(t, w.Fence(), held[0].Fence())
				assert.Greater(t, w.Fence(), held[1].Fence())
				assert.Greater(t, ownTTL(t, ctx, look, "pp:{pass}"), 20*time.Second, "the passed hold has the grant's TTL, not its own")
				n, err := look.Exists(ctx, "pp:{pass}:queue", "pp:{pass}:waiters").Result()
				require.NoError(t, err)
				assert.Zero(t, n, "the admitted waiter is still queued on the server")

				for _, h := range []*redislock.Lock{held[1], w} {
					require.NoError(t, h.Release(ctx))
				}
				n, err = look.Exists(ctx, "pp:{pass}:holders", "pp:{pass}:fences", "pp:{pass}:queue", "pp:{pass}:waiters").Result()
				require.NoError(t, err)
				assert.Zero(t, n, "keys left once the name is unused")
			})
		})
	}
}

// TestPermitPassKeepsQueueOrder: the hand-off follows the server's queue. A waiter of
// another process, queued before this process's parked head, gets the first freed permit
// (by message); the head keeps sleeping, queued, and gets the next one by the hand-off.
func TestPermitPassKeepsQueueOrder(t *testing.T) {
	servers(t, func(t *testing.T, addr string) {
		ctx := testCtx(t)
		look := newClient(t, addr)
		hc := newClient(t, addr)
		tries := &commandCounter{only: permitTry}
		hc.AddHook(tries)
		here := newBackend(t, hc, redislock.WithPrefix("po:"))
		there := newBackend(t, newClient(t, addr), redislock.WithPrefix("po:"))
		held := []*redislock.Lock{newLock(t, here, "order", lock.WithPermits(2)), newLock(t, here, "order", lock.WithPermits(2))}
		for _, h := range held {
			require.NoError(t, h.Acquire(ctx))
		}
		remote := newLock(t, there, "order", lock.WithPermits(2))
		remoteGot := waitFor(ctx, remote)
		queued(t, look, "po:{order}", 1)
		local := newLock(t, here, "order", lock.WithPermits(2))
		localGot := waitFor(ctx, local)
		queued(t, look, "po:{order}", 2)
		parked(t, here, "order")

		before := tries.n.Load()
		require.NoError(t, held[0].Release(ctx))
		require.NoError(t, <-remoteGot)
		assert.Zero(t, here.Passed(), "the head of this process passed a waiter queued before it")
		queue, err := look.LRange(ctx, "po:{order}:queue", 0, -1).Result()
		require.NoError(t, err)
		assert.Len(t, queue, 1, "the head of this process left the server's queue")
		// Woken by the release that did not admit it, the head tries again, then sleeps.
		require.Eventually(t, func() bool { return tries.n.Load() > before }, eventually, time.Millisecond)
		parked(t, here, "order")

		require.NoError(t, held[1].Release(ctx))
		require.NoError(t, <-localGot)
		assert.Equal(t, int64(1), here.Passed(), "the next permit was not handed to the head")
		assert.Greater(t, local.Fence(), remote.Fence())
		for _, h := range []*redislock.Lock{remote, local} {
			require.NoError(t, h.Release(ctx))
		}
	})
}
