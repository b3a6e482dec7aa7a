package redis_test

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
	redislock "github.com/batonlock/baton/lock/redis"
)

// commandCounter counts the commands a client sends, alone or in pipelines: all of them,
// or those only accepts.
type commandCounter struct {
	n    atomic.Int64
	only func(goredis.Cmder) bool
}

func (c *commandCounter) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (c *commandCounter) count(cmd goredis.Cmder) {
	if c.only == nil || c.only(cmd) {
		c.n.Add(1)
	}
}

func (c *commandCounter) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		c.count(cmd)
		return next(ctx, cmd)
	}
}

func (c *commandCounter) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		for _, cmd := range cmds {
			c.count(cmd)
		}
		return next(ctx, cmds)
	}
}

// waitFor starts l.Acquire in the background and returns its result channel.
func waitFor(ctx context.Context, l lock.Locker) <-chan error {
	got := make(chan error, 1)
	go func() { got <- l.Acquire(ctx) }()
	return got
}

// parked waits until the head waiter on name sleeps between tries.
func parked(t *testing.T, b *redislock.Backend, name string) {
	t.Helper()
	require.Eventually(t, func() bool { return b.Parked(name) }, eventually, time.Millisecond,
		"the waiter never went to sleep")
}

// TestPassedInMemory: a leased hold whose process has a leased waiter on the same name
// passes it the lock without a round trip: the Release sends no command, the key keeps its
// owner token (it never leaves the process's hands), the fence is one more, and the new
// hold is renewed and released like any other. Passes in a row stay in memory while their
// fences stay behind the server clock (PROTOCOL.md, "Fences"): at a pass every few µs or
// slower, always.
func TestPassedInMemory(t *testing.T) {
	servers(t, func(t *testing.T, addr string) {
		ctx := testCtx(t)
		c := newClient(t, addr)
		counter := &commandCounter{}
		c.AddHook(counter)
		const lease = 900 * time.Millisecond // renewed every 300ms
		b := newBackend(t, c, redislock.WithPrefix("mem:"), redislock.WithLease(lease))
		holder, waiter := newLock(t, b, "pass"), newLock(t, b, "pass")

		require.NoError(t, holder.Acquire(ctx))
		got := waitFor(ctx, waiter)
		parked(t, b, "pass")
		token, err := c.Get(ctx, "mem:{pass}").Result()
		require.NoError(t, err)

		before := counter.n.Load()
		require.NoError(t, holder.Release(ctx))
		require.NoError(t, <-got)
		// A renewal of the new hold may be due at once (it inherits the old one's lease);
		// nothing else may have been sent.
		assert.LessOrEqual(t, counter.n.Load()-before, int64(1), "the pass sent commands")
		assert.Equal(t, holder.Fence()+1, waiter.Fence())
		kept, err := c.Get(ctx, "mem:{pass}").Result()
		require.NoError(t, err)
		assert.Equal(t, token, kept, "the key changed hands on the server")

		// The inherited lease is renewed, not left to run out: wait for three renewals (the
		// backend sends nothing else now), which take the hold past its first lease.
		renewed := counter.n.Load()
		require.Eventually(t, func() bool { return counter.n.Load()-renewed >= 3 }, 5*lease, time.Millisecond,
			"the hold passed in memory was not renewed")
		select {
		case <-waiter.Lost():
			t.Fatal("the hold passed in memory was lost")
		default:
		}
		n, err := c.Exists(ctx, "mem:{pass}").Result()
		require.NoError(t, err)
		assert.Equal(t, int64(1), n)

		require.NoError(t, waiter.Release(ctx))
		n, err = c.Exists(ctx, "mem:{pass}").Result()
		require.NoError(t, err)
		assert.Zero(t, n, "Release of the passed hold deletes the key")
		assert.ErrorIs(t, holder.Release(ctx), lock.ErrNotHeld)

		// Pass the lock back and forth: the fences go up by one, in memory, on the first
		// hold's owner token.
		locks := []*redislock.Lock{holder, waiter}
		require.NoError(t, holder.Acquire(ctx))
		base := holder.Fence()
		token, err = c.Get(ctx, "mem:{pass}").Result()
		require.NoError(t, err)
		for i := 1; i <= 20; i++ {
			cur, next := locks[(i-1)%2], locks[i%2]
			got := waitFor(ctx, next)
			parked(t, b, "pass")
			require.NoError(t, cur.Release(ctx))
			require.NoError(t, <-got)
			assert.Equal(t, base+uint64(i), next.Fence(), "pass %d", i)
		}
		now, err := c.Get(ctx, "mem:{pass}").Result()
		require.NoError(t, err)
		assert.Equal(t, token, now, "every pass stayed in memory")
		require.NoError(t, locks[0].Release(ctx))
	})
}

// TestPassAheadOfClockGoesToServer: a hold whose fence is ahead of the server clock (the
// counter was ahead: many fences in one µs, or a quorum node raised it) is not passed in
// memory, whose fence + 1 the server could hand out again; the hand-off script gives the
// next hold a fence above it, on its own owner token.
func TestPassAheadOfClockGoesToServer(t *testing.T) {
	servers(t, func(t *testing.T, addr string) {
		ctx := testCtx(t)
		c := newClient(t, addr)
		b := newBackend(t, c, redislock.WithPrefix("ahead:"))
		holder, waiter := newLock(t, b, "pass"), newLock(t, b, "pass")
		ahead := uint64(time.Now().Add(time.Hour).UnixMicro())
		require.NoError(t, c.Set(ctx, "ahead:fence:v2", ahead, 0).Err())

		require.NoError(t, holder.Acquire(ctx))
		require.Equal(t, ahead+1, holder.Fence())
		token, err := c.Get(ctx, "ahead:{pass}").Result()
		require.NoError(t, err)
		got := waitFor(ctx, waiter)
		parked(t, b, "pass")
		require.NoError(t, holder.Release(ctx))
		require.NoError(t, <-got)
		assert.Equal(t, ahead+2, waiter.Fence(), "the counter + 1, from the hand-off script")
		now, err := c.Get(ctx, "ahead:{pass}").Result()
		require.NoError(t, err)
		assert.NotEqual(t, token, now, "the pass went through the server")
		assert.Equal(t, " "+strconv.FormatUint(ahead+2, 10), now[strings.IndexByte(now, ' '):])
		require.NoError(t, waiter.Release(ctx))
	})
}

// TestPassedInMemoryWithTimeout: a waiter with a timeout takes over the key of the hold
// before it, leased or timed, with no round trip: the key keeps its owner token and the
// fence is one more. It then sets the key's TTL to its own timeout at once, counted from
// when its hold began (PROTOCOL.md, "Holds", first renewal), so the key does not outlive
// it with the old hold's TTL.
func TestPassedInMemoryWithTimeout(t *testing.T) {
	servers(t, func(t *testing.T, addr string) {
		ctx := testCtx(t)
		c := newClient(t, addr)
		b := newBackend(t, c, redislock.WithPrefix("mem:"))
		const timeout = 2 * time.Second
		for _, before := range [][]lock.Option{nil, {lock.WithTimeout(20 * time.Second)}} {
			holder := newLock(t, b, "timed", before...)
			waiter := newLock(t, b, "timed", lock.WithTimeout(timeout))
			require.NoError(t, holder.Acquire(ctx))
			got := waitFor(ctx, waiter)
			parked(t, b, "timed")
			token, err := c.Get(ctx, "mem:{timed}").Result()
			require.NoError(t, err)

			require.NoError(t, holder.Release(ctx))
			require.NoError(t, <-got)
			assert.Equal(t, holder.Fence()+1, waiter.Fence(), "passed in memory")
			now, err := c.Get(ctx, "mem:{timed}").Result()
			require.NoError(t, err)
			assert.Equal(t, token, now, "the key changed hands on the server")
			require.Eventually(t, func() bool {
				ttl, err := c.PTTL(ctx, "mem:{timed}").Result()
				return err == nil && ttl > 0 && ttl <= timeout
			}, eventually, time.Millisecond, "the passed hold did not set the key's TTL to its timeout")
			require.NoError(t, waiter.Release(ctx))
			n, err := c.Exists(ctx, "mem:{timed}").Result()
			require.NoError(t, err)
			assert.Zero(t, n, "Release of the passed hold deletes the key")
		}
	})
}

// TestPassedByScriptToLease: a leased waiter cannot take over the TTL of a hold with a
// timeout, so the lock is passed to it by the hand-off script: a new owner token, a fence
// from the server, the waiter's lease.
func TestPassedByScriptToLease(t *testing.T) {
	servers(t, func(t *testing.T, addr string) {
		ctx := testCtx(t)
		c := newClient(t, addr)
		b := newBackend(t, c, redislock.WithPrefix("mem:"))
		holder := newLock(t, b, "timed", lock.WithTimeout(5*time.Second))
		waiter := newLock(t, b, "timed")

		require.NoError(t, holder.Acquire(ctx))
		got := waitFor(ctx, waiter)
		parked(t, b, "timed")
		token, err := c.Get(ctx, "mem:{timed}").Result()
		require.NoError(t, err)

		require.NoError(t, holder.Release(ctx))
		require.NoError(t, <-got)
		assert.Greater(t, waiter.Fence(), holder.Fence()+1, "a new fence from the server")
		now, err := c.Get(ctx, "mem:{timed}").Result()
		require.NoError(t, err)
		assert.NotEqual(t, token, now, "the waiter holds with its own token")
		ttl, err := c.PTTL(ctx, "mem:{timed}").Result()
		require.NoError(t, err)
		assert.Greater(t, ttl, 5*time.Second, "the waiter's lease, 30s")
		require.NoError(t, waiter.Release(ctx))
	})
}

// TestPassedInMemoryAfterKeyDeleted: the key is deleted behind the holder's back while a
// waiter of its process waits. The Release, which sends nothing,
// cannot know: it passes the lock, and the new hold's first renewal finds the key gone and
// reports it lost, within one renewal period, as the old hold's would have. A rival that
// took the lock meanwhile holds a larger fence.
func TestPassedInMemoryAfterKeyDeleted(t *testing.T) {
	servers(t, func(t *testing.T, addr string) {
		ctx := testCtx(t)
		c := newClient(t, addr)
		const lease = 1200 * time.Millisecond
		b := newBackend(t, c, redislock.WithPrefix("mem:"), redislock.WithLease(lease))
		holder, waiter := newLock(t, b, "gone"), newLock(t, b, "gone")
		rival := newLock(t, newBackend(t, c, redislock.WithPrefix("mem:")), "gone", lock.WithBlocking(lock.NoWait))

		require.NoError(t, holder.Acquire(ctx))
		got := waitFor(ctx, waiter)
		parked(t, b, "gone")
		require.NoError(t, c.Del(ctx, "mem:{gone}").Err())
		require.NoError(t, rival.Acquire(ctx))

		require.NoError(t, holder.Release(ctx))
		require.NoError(t, <-got)
		assert.Greater(t, rival.Fence(), waiter.Fence(), "the rival's fence orders it after the stale hold")
		waitClosed(t, waiter.Lost(), "the stale hold's Lost")
		assert.ErrorIs(t, waiter.Release(ctx), lock.ErrNotHeld)
		require.NoError(t, rival.Release(ctx))
	})
}

// TestWinnerUnsubscribes: a channel is unsubscribed as soon as the name's last waiter in
// the process took the lock (PROTOCOL.md, "Messages"), on one node as on a quorum's
// (TestQuorumWinnerUnsubscribes), and the subscriber forgets it.
func TestWinnerUnsubscribes(t *testing.T) {
	servers(t, func(t *testing.T, addr string) {
		ctx := testCtx(t)
		c := newClient(t, addr)
		a := newBackend(t, c, redislock.WithPrefix("sub:"))
		b := newBackend(t, newClient(t, addr), redislock.WithPrefix("sub:"))
		holder, waiter := newLock(t, a, "leave"), newLock(t, b, "leave")
		const channel = "sub:{leave}:released"

		require.NoError(t, holder.Acquire(ctx))
		got := waitFor(ctx, waiter)
		require.Eventually(t, func() bool { return redislock.Subscribed(b, channel) == 1 }, eventually, time.Millisecond)
		require.NoError(t, holder.Release(ctx))
		require.NoError(t, <-got)
		assert.Zero(t, redislock.Subscribed(b, channel), "the winner's channel is still subscribed")
		require.Eventually(t, func() bool {
			m, err := c.PubSubNumSub(ctx, channel).Result()
			require.NoError(t, err)
			_, _, channels := b.State()
			return m[channel] == 0 && channels == 0
		}, eventually, time.Millisecond, "the server still has the channel, or the subscriber its state")
		require.NoError(t, waiter.Release(ctx))
	})
}
