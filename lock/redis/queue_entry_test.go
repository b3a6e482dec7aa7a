package redis_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// keepQueued makes the entries of the waiters queued on the server for the lock whose key
// is key live for another minute, as if each waiter had just written it again (PROTOCOL.md,
// the queue: "<expiry ms> <try number> <grant TTL ms>"). A test of a waiter that died while
// queued uses it, so that the entry is still there when the test releases the lock, however
// long the machine stalled after the waiter died; it fails if no entry is left to keep.
func keepQueued(t *testing.T, c *goredis.Client, key string) {
	t.Helper()
	ctx := context.Background()
	now, err := c.Time(ctx).Result()
	require.NoError(t, err)
	entries, err := c.HGetAll(ctx, key+":waiters").Result()
	require.NoError(t, err)
	require.NotEmpty(t, entries, "no waiter is queued on %s", key)
	expiry := strconv.FormatInt(now.Add(time.Minute).UnixMilli(), 10)
	for token, entry := range entries {
		f := strings.Fields(entry)
		require.Len(t, f, 3, "queue entry %q", entry)
		f[0] = expiry
		require.NoError(t, c.HSet(ctx, key+":waiters", token, strings.Join(f, " ")).Err())
	}
	for _, k := range []string{key + ":queue", key + ":waiters"} {
		require.NoError(t, c.PExpire(ctx, k, time.Minute).Err())
	}
}
