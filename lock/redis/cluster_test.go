package redis_test

import (
	"fmt"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redistest"
	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/locktest"
	redislock "github.com/batonlock/baton/lock/redis"
)

// TestConformanceCluster runs the suite, and the primitives', on a three-node Redis Cluster: keys of many names
// spread over the shards, releases go out with SPUBLISH, and waiters listen on one sharded
// subscription per hash slot in use.
func TestConformanceCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster")
	}
	c := redistest.StartCluster(t, 3)
	open := func(t *testing.T) lock.Backend {
		cc := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: c.Addrs(), ContextTimeoutEnabled: true})
		t.Cleanup(func() { _ = cc.Close() })
		return newBackend(t, cc)
	}
	locktest.Run(t, open)
	t.Run("Primitives", func(t *testing.T) {
		locktest.RunPrimitives(t, locktest.Harness{Open: open, Peers: func(t *testing.T, _ lock.Backend, n int) []lock.Backend {
			var bs []lock.Backend
			for range n {
				bs = append(bs, open(t))
			}
			return bs
		}})
	})
}

// TestClusterWakesAcrossBackends: on every shard, a waiter in another backend queues on the
// shard and is granted the lock by the release, with the SPUBLISH of the grant: it holds
// without a try of its own, not when the 30s lease or its 1s refresh runs out. Inspect
// sees each holder and waiter on its shard.
func TestClusterWakesAcrossBackends(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster")
	}
	c := redistest.StartCluster(t, 3)
	open := func() (*redislock.Backend, *goredis.ClusterClient) {
		cc := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: c.Addrs(), ContextTimeoutEnabled: true})
		t.Cleanup(func() { _ = cc.Close() })
		return newBackend(t, cc), cc
	}
	a, cc := open()
	b, _ := open()
	ctx := testCtx(t)
	const names = 8 // spread over the three shards
	var holders, waiters []*redislock.Lock
	got := make(chan error, names)
	for i := 0; i < names; i++ {
		n := fmt.Sprintf("shard-%d", i)
		h := newLock(t, a, n)
		require.NoError(t, h.Acquire(ctx))
		holders = append(holders, h)
		w := newLock(t, b, n, lock.WithBlocking(eventually))
		waiters = append(waiters, w)
		go func() { got <- w.Acquire(ctx) }()
	}
	for i := range holders {
		key := fmt.Sprintf("baton:{shard-%d}:waiters", i)
		require.Eventually(t, func() bool {
			n, err := cc.HLen(ctx, key).Result()
			return err == nil && n == 1
		}, eventually, time.Millisecond, "waiter %d never queued", i)
		parked(t, b, fmt.Sprintf("shard-%d", i))
	}
	for i, h := range holders {
		// Inspect reads each shard: the holder, and the waiter queued there.
		info, err := lock.Inspect(ctx, a, h.Name())
		require.NoError(t, err)
		require.Len(t, info.Holds, 1, h.Name())
		assert.Equal(t, h.Fence(), info.Holds[0].Fence, h.Name())
		assert.Equal(t, 1, info.Waiters, "waiter %d", i)
	}
	for _, h := range holders {
		require.NoError(t, h.Release(ctx))
	}
	for i := 0; i < names; i++ {
		require.NoError(t, <-got)
	}
	// A waiter whose refresh was under way when its grant came holds by that try instead.
	require.Greater(t, b.Claimed(), int64(names/2), "waiters held by trying again, not on their grants")
	for _, w := range waiters {
		require.NoError(t, w.Release(ctx))
	}
}
