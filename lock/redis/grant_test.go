package redis_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
	redislock "github.com/batonlock/baton/lock/redis"
)

// queueScript reports whether cmd runs a script on a lock's key with its queue (4 keys):
// the tries of a waiter that queues on the server, and Releases.
func queueScript(cmd goredis.Cmder) bool {
	args := cmd.Args()
	if len(args) < 3 || (args[0] != "evalsha" && args[0] != "eval") {
		return false
	}
	n, ok := args[2].(int)
	return ok && n == 4
}

// queued waits until n waiters are in the server's queue of the lock whose key is key.
func queued(t *testing.T, c *goredis.Client, key string, n int64) {
	t.Helper()
	require.Eventually(t, func() bool {
		got, err := c.HLen(context.Background(), key+":waiters").Result()
		return err == nil && got == n
	}, eventually, time.Millisecond, "never %d waiters queued on the server", n)
}

// across is a lock held by one backend while the waiter of a second backend (another
// process, as far as Redis can tell) waits for it, queued on the server.
type across struct {
	c      *goredis.Client // the holder's client, to look at the keys
	key    string
	holder *redislock.Lock
	waiter *redislock.Lock
	wb     *redislock.Backend // the waiter's backend
	got    <-chan error       // the waiter's Acquire, made with waitCtx
}

// queuedAcross sets up an across on name; hooks go on the waiter's client.
func queuedAcross(t *testing.T, ctx, waitCtx context.Context, addr, name string, hooks ...goredis.Hook) *across {
	t.Helper()
	c := newClient(t, addr)
	wc := newClient(t, addr)
	for _, h := range hooks {
		wc.AddHook(h)
	}
	x := &across{c: c, key: "g:{" + name + "}", wb: newBackend(t, wc, redislock.WithPrefix("g:"))}
	x.holder = newLock(t, newBackend(t, c, redislock.WithPrefix("g:")), name)
	x.waiter = newLock(t, x.wb, name)
	require.NoError(t, x.holder.Acquire(ctx))
	x.got = waitFor(waitCtx, x.waiter)
	queued(t, c, x.key, 1)
	return x
}

// TestGrantedAcrossProcesses: a leased waiter of another process queues on the server, and
// the holder's Release hands it the key: the waiter holds on the message without a try of
// its own, with the fence the grant advanced, its own token in the key, and a lease that is
// renewed from the short grant TTL to its full length.
func TestGrantedAcrossProcesses(t *testing.T) {
	servers(t, func(t *testing.T, addr string) {
		ctx := testCtx(t)
		tries := &commandCounter{only: queueScript}
		x := queuedAcross(t, ctx, ctx, addr, "hand", tries)
		c, holder, waiter, b, got := x.c, x.holder, x.waiter, x.wb, x.got
		parked(t, b, "hand")
		before := tries.n.Load()
		require.NoError(t, holder.Release(ctx))
		require.NoError(t, <-got)
		assert.Equal(t, int64(1), b.Claimed(), "the waiter did not hold on the grant")
		// Unless its refresh (every second) was under way at that moment, it sent nothing.
		assert.LessOrEqual(t, tries.n.Load()-before, int64(1), "the waiter tried again")

		assert.Equal(t, keyFence(t, ctx, c, "g:{hand}"), waiter.Fence(), "the fence the grant issued")
		assert.Greater(t, waiter.Fence(), holder.Fence())
		n, err := c.Exists(ctx, "g:{hand}:queue", "g:{hand}:waiters").Result()
		require.NoError(t, err)
		assert.Zero(t, n, "the grant left the queue behind")

		// The grant TTL is 3s; the hold renews it to the 30s lease within a second.
		require.Eventually(t, func() bool {
			ttl, err := c.PTTL(ctx, "g:{hand}").Result()
			return err == nil && ttl > 10*time.Second
		}, eventually, 10*time.Millisecond, "the granted key was not renewed to the lease")
		select {
		case <-waiter.Lost():
			t.Fatal("the granted hold was lost")
		default:
		}
		require.NoError(t, waiter.Release(ctx))
		n, err = c.Exists(ctx, "g:{hand}").Result()
		require.NoError(t, err)
		assert.Zero(t, n, "Release of the granted hold deletes the key")
	})
}

// TestGrantedWithTimeout: a waiter with a timeout holds on the grant's message too, with no
// try, and then sets the key's TTL from the grant's 3s to its timeout at once, so that the
// timeout counts from when its hold began.
func TestGrantedWithTimeout(t *testing.T) {
	servers(t, func(t *testing.T, addr string) {
		ctx := testCtx(t)
		c := newClient(t, addr)
		tries := &commandCounter{only: queueScript}
		wc := newClient(t, addr)
		wc.AddHook(tries)
		wb := newBackend(t, wc, redislock.WithPrefix("g:"))
		holder := newLock(t, newBackend(t, c, redislock.WithPrefix("g:")), "timed")
		const timeout = 10 * time.Second
		waiter := newLock(t, wb, "timed", lock.WithTimeout(timeout))
		require.NoError(t, holder.Acquire(ctx))
		got := waitFor(ctx, waiter)
		queued(t, c, "g:{timed}", 1)
		parked(t, wb, "timed")

		before := tries.n.Load()
		require.NoError(t, holder.Release(ctx))
		require.NoError(t, <-got)
		assert.Equal(t, int64(1), wb.Claimed(), "the waiter did not hold on the grant")
		assert.LessOrEqual(t, tries.n.Load()-before, int64(1), "the waiter tried again")
		assert.Equal(t, keyFence(t, ctx, c, "g:{timed}"), waiter.Fence(), "the fence the grant issued")
		require.Eventually(t, func() bool {
			ttl, err := c.PTTL(ctx, "g:{timed}").Result()
			return err == nil && ttl > 5*time.Second && ttl <= timeout
		}, eventually, time.Millisecond, "the granted key's TTL was not set to the timeout")
		require.NoError(t, waiter.Release(ctx))
	})
}

// TestGrantedInQueueOrder: waiters of three processes queue on the server and are granted
// the lock in the order they queued, each fence larger than the last.
func TestGrantedInQueueOrder(t *testing.T) {
	servers(t, func(t *testing.T, addr string) {
		ctx := testCtx(t)
		c := newClient(t, addr)
		holder := newLock(t, newBackend(t, c, redislock.WithPrefix("g:")), "order")
		require.NoError(t, holder.Acquire(ctx))

		waiters := make([]*redislock.Lock, 3)
		results := make([]<-chan error, 3)
		for i := range waiters {
			waiters[i] = newLock(t, newBackend(t, newClient(t, addr), redislock.WithPrefix("g:")), "order")
			results[i] = waitFor(ctx, waiters[i])
			queued(t, c, "g:{order}", int64(i+1))
		}
		prev := holder
		for i, w := range waiters {
			require.NoError(t, prev.Release(ctx))
			select {
			case err := <-results[i]:
				require.NoError(t, err)
			case <-time.After(eventually):
				t.Fatalf("waiter %d was not granted the lock", i)
			}
			assert.Greater(t, w.Fence(), prev.Fence(), "waiter %d", i)
			prev = w
		}
		require.NoError(t, prev.Release(ctx))
	})
}

// TestGrantWithdrawnWhenWaiterGivesUp: a queued waiter whose ctx ends leaves the server's
// queue, so the next Release frees the key instead of granting it to nobody.
func TestGrantWithdrawnWhenWaiterGivesUp(t *testing.T) {
	servers(t, func(t *testing.T, addr string) {
		ctx := testCtx(t)
		wctx, cancel := context.WithCancel(ctx)
		x := queuedAcross(t, ctx, wctx, addr, "quit")
		cancel()
		require.ErrorIs(t, <-x.got, context.Canceled)
		queued(t, x.c, x.key, 0)

		require.NoError(t, x.holder.Release(ctx))
		locked, err := x.holder.Locked(ctx)
		require.NoError(t, err)
		assert.False(t, locked, "the lock was granted to a waiter that had left")
	})
}

// TestGrantToDeadWaiterExpires: a waiter's process dies while it is queued (here: its
// client is closed under it, so nothing more reaches the server), and the Release grants it
// the lock. Nobody claims the grant; it keeps the lock from others only for the grant TTL (at
// most the lease), and a waiter of a third process then takes it with a larger fence.
func TestGrantToDeadWaiterExpires(t *testing.T) {
	ctx := testCtx(t)
	srv := startServer(t)
	c := newClient(t, srv.Addr())
	const lease = 1500 * time.Millisecond // grant TTL 1.5s; entries live 750ms
	opts := []redislock.Option{redislock.WithPrefix("g:"), redislock.WithLease(lease)}
	holder := newLock(t, newBackend(t, c, opts...), "dead")
	dyingClient := newClient(t, srv.Addr())
	dying := newBackend(t, dyingClient, opts...)
	waiter := newLock(t, dying, "dead")
	third := newLock(t, newBackend(t, newClient(t, srv.Addr()), opts...), "dead")

	require.NoError(t, holder.Acquire(ctx))
	got := waitFor(ctx, waiter)
	queued(t, c, "g:{dead}", 1)
	require.NoError(t, dyingClient.Close())
	require.NoError(t, dying.Close())
	require.ErrorIs(t, <-got, lock.ErrClosed)
	keepQueued(t, c, "g:{dead}") // the dead waiter's entry is live at the Release, however slow the machine
	require.NoError(t, holder.Release(ctx))
	owner, err := c.Get(ctx, "g:{dead}").Result()
	require.NoError(t, err, "the Release did not grant the lock to the queued waiter")
	ttl, err := c.PTTL(ctx, "g:{dead}").Result()
	require.NoError(t, err)
	assert.LessOrEqual(t, ttl, lease, "a grant lasts at most the grant TTL")

	start := time.Now()
	require.NoError(t, third.Acquire(ctx))
	assert.Less(t, time.Since(start), eventually)
	now, err := c.Get(ctx, "g:{dead}").Result()
	require.NoError(t, err)
	assert.NotEqual(t, owner, now)
	dead, err := strconv.ParseUint(owner[strings.IndexByte(owner, ' ')+1:], 10, 64)
	require.NoError(t, err, "the key holds %q", owner)
	assert.Greater(t, dead, holder.Fence())
	assert.Greater(t, third.Fence(), dead, "after the holder's and the dead grant's fences")
	require.NoError(t, third.Release(ctx))
}

// TestCloseWithdrawsQueuedWaiters: Close takes its waiters out of the server's queues, so
// the next Release frees the lock instead of granting it to a backend that is gone.
func TestCloseWithdrawsQueuedWaiters(t *testing.T) {
	servers(t, func(t *testing.T, addr string) {
		ctx := testCtx(t)
		x := queuedAcross(t, ctx, ctx, addr, "close")
		parked(t, x.wb, "close") // as in TestCloseWithdrawsQueuedPermitWaiters
		require.NoError(t, x.wb.Close())
		require.ErrorIs(t, <-x.got, lock.ErrClosed)
		x.requireNotGranted(t, ctx)
	})
}

// requireNotGranted checks that the waiter of x, which is gone, left the server's queue, and
// that the holder's Release then frees the lock rather than granting it to the gone waiter.
func (x *across) requireNotGranted(t *testing.T, ctx context.Context) {
	t.Helper()
	n, err := x.c.HLen(ctx, x.key+":waiters").Result()
	require.NoError(t, err)
	assert.Zero(t, n, "the gone waiter is still in the server's queue")
	require.NoError(t, x.holder.Release(ctx))
	locked, err := x.holder.Locked(ctx)
	require.NoError(t, err)
	assert.False(t, locked, "the lock was granted to the gone waiter")
}

// TestNoQueueBehindHoldOfSameProcess: a waiter whose lock is held in its own process does
// not queue on the server, nor try again every refresh period (the Release passes it the
// lock in memory); a waiter with a timeout, of another process, queues as a leased one does.
func TestNoQueueBehindHoldOfSameProcess(t *testing.T) {
	servers(t, func(t *testing.T, addr string) {
		ctx := testCtx(t)
		c := newClient(t, addr)
		counter := &commandCounter{}
		c.AddHook(counter)
		b := newBackend(t, c, redislock.WithPrefix("g:"))
		holder, waiter := newLock(t, b, "local"), newLock(t, b, "local")
		require.NoError(t, holder.Acquire(ctx))
		got := waitFor(ctx, waiter)
		parked(t, b, "local")
		before := counter.n.Load()
		time.Sleep(1300 * time.Millisecond) // past a refresh period (1s)
		assert.Equal(t, before, counter.n.Load(), "the waiter polled while the lock was held in its process")
		n, err := c.Exists(ctx, "g:{local}:queue", "g:{local}:waiters").Result()
		require.NoError(t, err)
		assert.Zero(t, n, "queued behind a hold of its own process")
		require.NoError(t, holder.Release(ctx))
		require.NoError(t, <-got)
		require.NoError(t, waiter.Release(ctx))

		other := newBackend(t, newClient(t, addr), redislock.WithPrefix("g:"))
		timed := newLock(t, other, "local", lock.WithTimeout(5*time.Second))
		require.NoError(t, holder.Acquire(ctx))
		got = waitFor(ctx, timed)
		parked(t, other, "local") // it parks after the try that queued it
		n, err = c.Exists(ctx, "g:{local}:queue", "g:{local}:waiters").Result()
		require.NoError(t, err)
		assert.Equal(t, int64(2), n, "a waiter with a timeout of another process did not queue on the server")
		require.NoError(t, holder.Release(ctx))
		require.NoError(t, <-got)
		require.NoError(t, timed.Release(ctx))
	})
}

// TestClaims: a waiter holds on a grant only when it answers the waiter's last answered
// try, whose sending the grant came after, and that leaves a quarter of the grant TTL.
func TestClaims(t *testing.T) {
	b := newBackend(t, newClient(t, "127.0.0.1:1"))
	const ttl = 3 * time.Second
	now := time.Now()
	assert.True(t, redislock.Claims(b, true, 3, now, ttl, 3))
	assert.False(t, redislock.Claims(b, true, 3, now, ttl, 2), "a grant for an earlier try may be older than the key's TTL")
	assert.False(t, redislock.Claims(b, true, 3, now, ttl, 4), "a try that was never answered")
	assert.False(t, redislock.Claims(b, true, 3, now.Add(-2300*time.Millisecond), ttl, 3), "less than a quarter of the grant TTL left")
	assert.True(t, redislock.Claims(b, true, 3, now.Add(-2*time.Second), ttl, 3))
	assert.False(t, redislock.Claims(b, false, 3, now, ttl, 3), "never queued")
}

func TestParseGrant(t *testing.T) {
	token, try, fence, clock, ok := redislock.ParseGrant("tok 7 1732000000000001 1732000000000000")
	require.True(t, ok)
	assert.Equal(t, "tok", token)
	assert.Equal(t, uint64(7), try)
	assert.Equal(t, uint64(1732000000000001), fence)
	assert.Equal(t, uint64(1732000000000000), clock)
	for _, bad := range []string{
		"", "tok", "tok 7", "tok 7 1", "tok 7 1 2 3", "tok x 1 2", "tok 7 -1 2", "tok 7 1.7e15 2", "tok 7 0 2",
		"tok 7 18446744073709551616 2", "tok 7 1 x",
	} {
		_, _, _, _, ok := redislock.ParseGrant(bad)
		assert.False(t, ok, "%q", bad)
	}
}
