package redis_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
	redislock "github.com/batonlock/baton/lock/redis"
)

// TestDistinctNamesLeaveNoKeys: 10^5 distinct names, each locked and released once, leave
// one key on the server, the fence counter (PROTOCOL.md, "Keys"), and no memory that grows
// with them. Under the old rule each name left a fence key for a day: 10^5 keys, 13 MB.
func TestDistinctNamesLeaveNoKeys(t *testing.T) {
	s := startServer(t)
	c := goredis.NewClient(&goredis.Options{Addr: s.Addr(), ContextTimeoutEnabled: true, PoolSize: 32})
	t.Cleanup(func() { _ = c.Close() })
	b := newBackend(t, c, redislock.WithPrefix("many:"))
	ctx := testCtx(t)

	lockNames(t, ctx, b, 0, 1000) // the scripts loaded, the connections open
	before := usedMemory(t, ctx, c)
	const names = 100000
	lockNames(t, ctx, b, 1000, names)
	after := usedMemory(t, ctx, c)

	n, err := c.DBSize(ctx).Result()
	require.NoError(t, err)
	if assert.Equal(t, int64(1), n, "keys left on the server") {
		keys, err := c.Keys(ctx, "*").Result()
		require.NoError(t, err)
		assert.Equal(t, []string{"many:fence:v2"}, keys)
	}
	t.Logf("used_memory %d before, %d after %d names", before, after, names)
	assert.Less(t, after-before, int64(1<<20), "used_memory grew with the names")
}

// lockNames takes and releases the names name:from ... name:to-1, a few at a time.
func lockNames(t *testing.T, ctx context.Context, b lock.Backend, from, to int) {
	t.Helper()
	const workers = 32
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := from + w; i < to; i += workers {
				l, err := b.NewLock("name:"+strconv.Itoa(i), lock.WithBlocking(lock.NoWait))
				if !assert.NoError(t, err) || !assert.NoError(t, l.Acquire(ctx)) || !assert.NoError(t, l.Release(ctx)) {
					return
				}
			}
		}()
	}
	wg.Wait()
	require.False(t, t.Failed())
}

// usedMemory returns the server's used_memory, in bytes.
func usedMemory(t *testing.T, ctx context.Context, c *goredis.Client) int64 {
	t.Helper()
	info, err := c.Info(ctx, "memory").Result()
	require.NoError(t, err)
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			require.NoError(t, err)
			return n
		}
	}
	require.Fail(t, "no used_memory in INFO memory", info)
	return 0
}
