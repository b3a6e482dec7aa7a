package redis_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redistest"
	"github.com/batonlock/baton/lock"
	redislock "github.com/batonlock/baton/lock/redis"
)

// Holds in these tests last holdFor, far longer than wakeBound: a waiter that gets the lock
// within wakeBound of its release was woken by it, not by the key's TTL. Neither bounds speed.
const (
	holdFor   = 20 * time.Second
	wakeBound = 5 * time.Second
)

// pubsubCluster is a three-master cluster with a backend for holders and one for waiters,
// each on its own client, and a client of the test's own to inspect and steer the nodes.
type pubsubCluster struct {
	admin            *goredis.ClusterClient
	holders, waiters *redislock.Backend
}

func startPubsubCluster(t *testing.T) *pubsubCluster {
	c := redistest.StartCluster(t, 3)
	open := func() *goredis.ClusterClient {
		cc := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: c.Addrs(), ContextTimeoutEnabled: true})
		t.Cleanup(func() { _ = cc.Close() })
		return cc
	}
	return &pubsubCluster{admin: open(), holders: newBackend(t, open()), waiters: newBackend(t, open())}
}

// channel is the channel a lock's releases are published on.
func channel(name string) string { return redislock.DefaultPrefix + "{" + name + "}:released" }

// master returns the client of the master that serves name's slot.
func (pc *pubsubCluster) master(ctx context.Context, t *testing.T, name string) *goredis.Client {
	m, err := pc.admin.MasterForKey(ctx, channel(name))
	require.NoError(t, err)
	return m
}

// waitSubscribed waits until node has a sharded subscriber on name's channel.
func waitSubscribed(ctx context.Context, t *testing.T, node *goredis.Client, name, what string) {
	t.Helper()
	require.Eventually(t, func() bool {
		n, err := node.PubSubShardNumSub(ctx, channel(name)).Result()
		return err == nil && n[channel(name)] == 1
	}, eventually, time.Millisecond, what)
}

// waitAll starts a waiter on each name, in the waiters' backend, behind a hold of the
// holders' backend, and waits until every one sleeps on its subscription. It returns the
// holds and the waiters' results.
func (pc *pubsubCluster) waitAll(ctx context.Context, t *testing.T, names ...string) ([]*redislock.Lock, []chan error) {
	var holds []*redislock.Lock
	var got []chan error
	for _, n := range names {
		h := newLock(t, pc.holders, n, lock.WithTimeout(holdFor))
		require.NoError(t, h.Acquire(ctx))
		holds = append(holds, h)
		w := newLock(t, pc.waiters, n, lock.WithTimeout(holdFor), lock.WithBlocking(eventually))
		c := make(chan error, 1)
		go func() { c <- w.Acquire(ctx) }()
		got = append(got, c)
	}
	for _, n := range names {
		require.Eventually(t, func() bool { return pc.waiters.Parked(n) }, eventually, time.Millisecond, n+": the waiter sleeps")
		waitSubscribed(ctx, t, pc.master(ctx, t, n), n, n+": subscribed on its master")
	}
	return holds, got
}

// releaseAll releases each hold and requires its waiter to hold within wakeBound.
func releaseAll(ctx context.Context, t *testing.T, holds []*redislock.Lock, got []chan error) {
	for i, h := range holds {
		require.NoError(t, h.Release(ctx))
		select {
		case err := <-got[i]:
			require.NoError(t, err, h.Name())
		case <-time.After(wakeBound):
			t.Fatalf("%s: the waiter does not hold %v after the release (the hold's TTL was %v)", h.Name(), wakeBound, holdFor)
		}
	}
}

// TestClusterWaiterFollowsMovedSlot: the slot of a name moves to another master (by hand,
// as redis-cli --cluster reshard does) while a waiter sleeps on it. The server drops the
// waiter's sharded subscription with the slot; the subscriber subscribes again on the new
// master and the waiter is woken by the release there, not by the hold's TTL.
func TestClusterWaiterFollowsMovedSlot(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster")
	}
	pc := startPubsubCluster(t)
	ctx := testCtx(t)
	const name = "moving"
	from := pc.master(ctx, t, name)
	holds, got := pc.waitAll(ctx, t, name)

	to := pc.otherMaster(ctx, t, from)
	moveSlot(ctx, t, pc.admin, redislock.KeySlot(channel(name)), from, to)

	waitSubscribed(ctx, t, to, name, "subscribed again on the slot's new master")
	releaseAll(ctx, t, holds, got)
}

// otherMaster returns a master other than from.
func (pc *pubsubCluster) otherMaster(ctx context.Context, t *testing.T, from *goredis.Client) *goredis.Client {
	var mu sync.Mutex
	var to *goredis.Client
	require.NoError(t, pc.admin.ForEachMaster(ctx, func(ctx context.Context, c *goredis.Client) error {
		mu.Lock()
		defer mu.Unlock()
		if c.Options().Addr != from.Options().Addr && to == nil {
			to = c
		}
		return nil
	}))
	require.NotNil(t, to, "no other master")
	return to
}

// moveSlot moves slot, with its keys, from one master to another, in the order the Redis
// Cluster specification gives: IMPORTING on the target, MIGRATING on the source, MIGRATE
// the keys, then SETSLOT NODE on the target first and on every other master.
func moveSlot(ctx context.Context, t *testing.T, cc *goredis.ClusterClient, slot int, from, to *goredis.Client) {
	fromID, err := from.Do(ctx, "CLUSTER", "MYID").Text()
	require.NoError(t, err)
	toID, err := to.Do(ctx, "CLUSTER", "MYID").Text()
	require.NoError(t, err)
	require.NoError(t, to.Do(ctx, "CLUSTER", "SETSLOT", slot, "IMPORTING", fromID).Err())
	require.NoError(t, from.Do(ctx, "CLUSTER", "SETSLOT", slot, "MIGRATING", toID).Err())
	keys, err := from.ClusterGetKeysInSlot(ctx, slot, 1000).Result()
	require.NoError(t, err)
	require.NotEmpty(t, keys, "the hold's key lives in the slot")
	host, port := to.Options().Addr, ""
	for i := len(host) - 1; i >= 0; i-- {
		if host[i] == ':' {
			host, port = host[:i], host[i+1:]
			break
		}
	}
	args := []any{"MIGRATE", host, port, "", 0, 5000, "KEYS"}
	for _, k := range keys {
		args = append(args, k)
	}
	require.NoError(t, from.Do(ctx, args...).Err())
	require.NoError(t, to.Do(ctx, "CLUSTER", "SETSLOT", slot, "NODE", toID).Err())
	require.NoError(t, cc.ForEachMaster(ctx, func(ctx context.Context, c *goredis.Client) error {
		if c.Options().Addr == to.Options().Addr {
			return nil
		}
		return c.Do(ctx, "CLUSTER", "SETSLOT", slot, "NODE", toID).Err()
	}))
}

// TestClusterResubscribesEverySlotAfterKill: the pub/sub connections of a master that
// serves waiters on three slots are killed. Every subscription comes back (one SSUBSCRIBE
// may not span slots), and each waiter is woken by its release, not by the hold's TTL.
func TestClusterResubscribesEverySlotAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster")
	}
	pc := startPubsubCluster(t)
	ctx := testCtx(t)
	var names []string
	var node *goredis.Client
	slots := make(map[int]bool)
	for i := 0; len(names) < 3; i++ {
		require.Less(t, i, 1000, "no three names on one master")
		n := fmt.Sprintf("kill-%d", i)
		m, slot := pc.master(ctx, t, n), redislock.KeySlot(channel(n))
		if node == nil {
			node = m
		}
		if m.Options().Addr == node.Options().Addr && !slots[slot] {
			slots[slot] = true
			names = append(names, n)
		}
	}
	holds, got := pc.waitAll(ctx, t, names...)

	killed, err := node.ClientKillByFilter(ctx, "TYPE", "pubsub").Result()
	require.NoError(t, err)
	require.Positive(t, killed)
	for _, n := range names {
		waitSubscribed(ctx, t, node, n, n+": subscribed again after the kill")
	}
	releaseAll(ctx, t, holds, got)
}
