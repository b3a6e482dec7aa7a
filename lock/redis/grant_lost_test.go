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
)

// TestGrantMessageLost: a grant whose message never reaches the waiter (the pub/sub link
// was down, say) is found by the waiter's next refresh of its queue entry, at most a
// refresh period later: the try finds the key already its own, and holds with the fence
// the grant issued, above the holder's, also when the counter was deleted or set lower
// meanwhile (issue 14, bug 3: the try returned the counter, 0 or 1 × 16).
func TestGrantMessageLost(t *testing.T) {
	for name, spoil := range map[string]func(ctx context.Context, c *goredis.Client) error{
		"deleted":  func(ctx context.Context, c *goredis.Client) error { return c.Del(ctx, "g:fence:v2").Err() },
		"set to 1": func(ctx context.Context, c *goredis.Client) error { return c.Set(ctx, "g:fence:v2", 1, 0).Err() },
	} {
		t.Run(name, func(t *testing.T) { grantMessageLost(t, spoil) })
	}
}

func grantMessageLost(t *testing.T, spoil func(ctx context.Context, c *goredis.Client) error) {
	servers(t, func(t *testing.T, addr string) {
		ctx := testCtx(t)
		x := queuedAcross(t, ctx, ctx, addr, "lostmsg")
		c, waiter, got := x.c, x.waiter, x.got

		// Grant the key by hand, as grant.lua does, but publish nothing; then spoil the
		// counter.
		tokens, err := c.LRange(ctx, "g:{lostmsg}:queue", 0, -1).Result()
		require.NoError(t, err)
		require.Len(t, tokens, 1)
		fence := x.holder.Fence() + 1
		require.NoError(t, c.Set(ctx, "g:{lostmsg}", tokens[0]+" "+strconv.FormatUint(fence, 10), 3*time.Second).Err())
		require.NoError(t, c.Del(ctx, "g:{lostmsg}:queue", "g:{lostmsg}:waiters").Err())
		require.NoError(t, spoil(ctx, c))

		select {
		case err := <-got:
			require.NoError(t, err)
		case <-time.After(eventually):
			t.Fatal("the waiter never found the grant")
		}
		assert.Equal(t, fence, waiter.Fence(), "the fence the grant issued")
		assert.Greater(t, waiter.Fence(), x.holder.Fence())
		require.NoError(t, waiter.Release(ctx))
	})
}

// keyFence returns the fence a lock key holds ("<owner token> <fence>").
func keyFence(t *testing.T, ctx context.Context, c *goredis.Client, key string) uint64 {
	t.Helper()
	v, err := c.Get(ctx, key).Result()
	require.NoError(t, err)
	_, fence, ok := strings.Cut(v, " ")
	require.True(t, ok, "%s holds %q", key, v)
	n, err := strconv.ParseUint(fence, 10, 64)
	require.NoError(t, err, "%s holds %q", key, v)
	return n
}
