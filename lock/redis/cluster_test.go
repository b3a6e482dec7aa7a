package redis_test

import (
	"fmt"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redistest"
	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/locktest"
	redislock "github.com/batonlock/baton/lock/redis"
)

// TestConformanceCluster runs the suite on a three-node Redis Cluster: keys of many names
// spread over the shards, releases go out with SPUBLISH, and waiters listen on one sharded
// subscription per node.
func TestConformanceCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster")
	}
	c := redistest.StartCluster(t, 3)
	locktest.Run(t, func(t *testing.T) lock.Backend {
		cc := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: c.Addrs()})
		t.Cleanup(func() { _ = cc.Close() })
		return newBackend(t, cc)
	})
}

// TestClusterWakesAcrossBackends: on every shard, a waiter in another backend is woken by
// the SPUBLISH of the release, not by the 30s lease running out.
func TestClusterWakesAcrossBackends(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster")
	}
	c := redistest.StartCluster(t, 3)
	open := func() *redislock.Backend {
		cc := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: c.Addrs()})
		t.Cleanup(func() { _ = cc.Close() })
		return newBackend(t, cc)
	}
	a, b := open(), open()
	ctx := testCtx(t)
	const names = 8 // spread over the three shards
	var holders []*redislock.Lock
	got := make(chan error, names)
	for i := 0; i < names; i++ {
		n := fmt.Sprintf("shard-%d", i)
		h := newLock(t, a, n)
		require.NoError(t, h.Acquire(ctx))
		holders = append(holders, h)
		w := newLock(t, b, n, lock.WithBlocking(eventually))
		go func() {
			err := w.Acquire(ctx)
			if err == nil {
				err = w.Release(ctx)
			}
			got <- err
		}()
	}
	time.Sleep(100 * time.Millisecond)
	for _, h := range holders {
		require.NoError(t, h.Release(ctx))
	}
	for i := 0; i < names; i++ {
		require.NoError(t, <-got)
	}
}
