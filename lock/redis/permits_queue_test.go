package redis_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
	redislock "github.com/batonlock/baton/lock/redis"
)

// TestPermitsGrantedInQueueOrder: on a name with 2 permits, permit waiters of four
// processes queue on the server, and each release grants the freed permit to the first of
// them, in the order they queued, with a fence above the released hold's, and the waiter
// holds on the grant's message with no try of its own; once all are
// released no key of the name is left. Were the waiters only woken by the release message,
// whichever tried first would take the permit.
func TestPermitsGrantedInQueueOrder(t *testing.T) {
	servers(t, func(t *testing.T, addr string) {
		ctx := testCtx(t)
		c := newClient(t, addr)
		var backends []*redislock.Backend
		permits := func() *redislock.Lock {
			b := newBackend(t, newClient(t, addr), redislock.WithPrefix("p:"))
			backends = append(backends, b)
			return newLock(t, b, "order", lock.WithPermits(2))
		}
		held := []*redislock.Lock{permits(), permits()}
		for _, h := range held {
			require.NoError(t, h.Acquire(ctx))
		}
		waiters := make([]*redislock.Lock, 4)
		results := make([]<-chan error, len(waiters))
		for i := range waiters {
			waiters[i] = permits()
			results[i] = waitFor(ctx, waiters[i])
			queued(t, c, "p:{order}", int64(i+1))
			// Asleep, so subscribed: a grant published before its subscription was
			// confirmed would be found by its next try, not held on.
			parked(t, backends[2+i], "order")
		}
		for i, w := range waiters {
			prev := held[0]
			require.NoError(t, prev.Release(ctx))
			select {
			case err := <-results[i]:
				require.NoError(t, err)
			case <-time.After(eventually):
				t.Fatalf("waiter %d was not granted the permit", i)
			}
			assert.Greater(t, w.Fence(), prev.Fence(), "waiter %d", i)
			assert.Equal(t, int64(1), backends[2+i].Claimed(), "waiter %d did not hold on the grant", i)
			held = append(held[1:], w)
		}
		for _, h := range held {
			require.NoError(t, h.Release(ctx))
		}
		n, err := c.Exists(ctx, "p:{order}:holders", "p:{order}:fences", "p:{order}:queue", "p:{order}:waiters").Result()
		require.NoError(t, err)
		assert.Zero(t, n, "keys left once the name is unused")
	})
}
