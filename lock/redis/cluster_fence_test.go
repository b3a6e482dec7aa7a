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

	"github.com/batonlock/baton/internal/redisscript"
	"github.com/batonlock/baton/internal/redistest"
	"github.com/batonlock/baton/lock"
)

// TestClusterFenceCounters: on a three-master cluster, distinct names leave only the
// counters of their hash slots (PROTOCOL.md, "Keys"), each in its lock keys' slot (a
// script with a counter in another slot would fail with CROSSSLOT); with every counter
// deleted, each name's next fence is still above its last.
func TestClusterFenceCounters(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster")
	}
	c := redistest.StartCluster(t, 3)
	cc := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: c.Addrs(), ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = cc.Close() })
	b := newBackend(t, cc)
	ctx := testCtx(t)
	const names = 2000
	first := fencesOf(t, ctx, b, names)

	var mu sync.Mutex
	var counters []string
	require.NoError(t, cc.ForEachMaster(ctx, func(ctx context.Context, m *goredis.Client) error {
		keys, err := m.Keys(ctx, "*").Result()
		mu.Lock()
		counters = append(counters, keys...)
		mu.Unlock()
		return err
	}))
	slots := make(map[uint16]bool)
	for _, k := range counters {
		assert.True(t, strings.HasPrefix(k, "baton:{") && strings.HasSuffix(k, "}:fence:v2"), "key %q left", k)
		assert.False(t, slots[redisscript.Slot(k)], "two counters in slot of %q", k)
		slots[redisscript.Slot(k)] = true
	}
	assert.LessOrEqual(t, len(counters), names)
	t.Logf("%d names left %d counters", names, len(counters))

	for _, k := range counters {
		require.NoError(t, cc.Del(ctx, k).Err())
	}
	second := fencesOf(t, ctx, b, names)
	for i := range first {
		assert.Greater(t, second[i], first[i], "name %d after its counter was deleted", i)
	}
}

// fencesOf takes and releases the names name:0 ... name:n-1 and returns their fences.
func fencesOf(t *testing.T, ctx context.Context, b lock.Backend, n int) []uint64 {
	t.Helper()
	fences := make([]uint64, n)
	const workers = 16
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				l, err := b.NewLock("name:"+strconv.Itoa(i), lock.WithBlocking(lock.NoWait))
				if !assert.NoError(t, err) || !assert.NoError(t, l.Acquire(ctx)) {
					return
				}
				fences[i] = l.Fence()
				if !assert.NoError(t, l.Release(ctx)) {
					return
				}
			}
		}()
	}
	wg.Wait()
	require.False(t, t.Failed())
	return fences
}
