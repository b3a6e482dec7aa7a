package redis_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
	redislock "github.com/batonlock/baton/lock/redis"
)

// TestHandoffToQueuedWaiterKeepsTheKey: a waiter of this process that queued on the server
// (it tried while the holder's Release had already taken the hold out of the process's
// index, so no hold of its process was in its way) and is then passed the lock by that
// Release's hand-off script holds the key under its own token. Leaving the server's queue
// afterwards must not free that key: it once did (the withdrawal ran the release script
// with the waiter's token), and a rival of another process took the lock while the waiter
// still held it. The soak counted it as one overlap in 237,364 holds.
func TestHandoffToQueuedWaiterKeepsTheKey(t *testing.T) {
	servers(t, func(t *testing.T, addr string) {
		ctx := testCtx(t)
		const name = "hq"
		b := newBackend(t, newClient(t, addr), redislock.WithPrefix("g:"))
		rival := newLock(t, newBackend(t, newClient(t, addr), redislock.WithPrefix("g:")), name,
			lock.WithBlocking(300*time.Millisecond))
		// Timed holds: the lock is passed by the hand-off script, which gives the waiter's
		// own token the key.
		holder := newLock(t, b, name, lock.WithTimeout(5*time.Second))
		waiter := newLock(t, b, name, lock.WithTimeout(5*time.Second))
		check := newClient(t, addr)

		var got <-chan error
		b.OnReleasing(func(string) {
			if got != nil {
				return // the waiter's own Release, at the end
			}
			// In the Release's window: the holder is out of the index, its key still set.
			got = waitFor(ctx, waiter)
			queued(t, check, "g:{"+name+"}", 1) // its second try queued on the server
			parked(t, b, name)
		})
		require.NoError(t, holder.Acquire(ctx))
		require.NoError(t, holder.Release(ctx))
		require.NoError(t, <-got, "the waiter was passed the lock")
		assert.Greater(t, waiter.Fence(), holder.Fence())

		// The withdrawal from the queue runs in the background; a rival's Acquire (300 ms)
		// must not get in while the waiter holds.
		err := rival.Acquire(ctx)
		assert.ErrorIs(t, err, lock.ErrNotAcquired, "a rival took the lock the waiter holds")
		if err == nil {
			require.NoError(t, rival.Release(context.Background()))
		}
		select {
		case <-waiter.Lost():
			t.Fatal("the waiter was told its hold is lost")
		default:
		}
		owner, err := check.Get(ctx, "g:{"+name+"}").Result()
		require.NoError(t, err, "the key is gone while the waiter holds")
		assert.Contains(t, owner, " ", "the key holds an owner token and a fence")
		require.NoError(t, waiter.Release(ctx))
		n, err := check.HLen(ctx, "g:{"+name+"}:waiters").Result()
		require.NoError(t, err)
		assert.Zero(t, n, "the waiter left the server's queue")
	})
}
