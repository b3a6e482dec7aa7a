package redis_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
	redislock "github.com/batonlock/baton/lock/redis"
)

// TestTimeoutWaitersServedInOrder: waiters with a timeout, in backends of their own (other
// processes, as far as Redis can tell), queue on the server in the order they came, and each
// Release grants the key to the first of them instead of freeing it for a race: the key is
// never free between the holds, and each grantee's timeout counts from its own hold.
func TestTimeoutWaitersServedInOrder(t *testing.T) {
	servers(t, func(t *testing.T, addr string) {
		ctx := testCtx(t)
		c := newClient(t, addr)
		const timeout = 10 * time.Second
		holder := newLock(t, newBackend(t, c, redislock.WithPrefix("o:")), "order", lock.WithTimeout(timeout))
		require.NoError(t, holder.Acquire(ctx))
		var waiters []*redislock.Lock
		var results []<-chan error
		for i := range 2 {
			b := newBackend(t, newClient(t, addr), redislock.WithPrefix("o:"))
			w := newLock(t, b, "order", lock.WithTimeout(timeout))
			waiters, results = append(waiters, w), append(results, waitFor(ctx, w))
			parked(t, b, "order") // it parks after the try that queued it
			n, err := c.LLen(ctx, "o:{order}:queue").Result()
			require.NoError(t, err)
			require.Equal(t, int64(i+1), n, "waiter %d did not queue on the server", i)
		}

		prev := holder
		for i, w := range waiters {
			require.NoError(t, prev.Release(ctx))
			n, err := c.Exists(ctx, "o:{order}").Result()
			require.NoError(t, err)
			assert.Equal(t, int64(1), n, "release %d freed the key instead of granting it", i)
			require.NoError(t, <-results[i], "waiter %d", i)
			assert.Greater(t, w.Fence(), prev.Fence())
			require.Eventually(t, func() bool { // its first renewal, at once (PROTOCOL.md, "Holds")
				pttl, err := c.PTTL(ctx, "o:{order}").Result()
				return err == nil && pttl > timeout-time.Second
			}, eventually, time.Millisecond, "waiter %d holds for its grant TTL, not its timeout", i)
			prev = w
		}
		require.NoError(t, prev.Release(ctx))
	})
}
