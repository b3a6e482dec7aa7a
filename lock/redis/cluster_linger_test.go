package redis_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
	redislock "github.com/batonlock/baton/lock/redis"
)

// namesInSlot returns n names whose channels share the hash slot of first's.
func namesInSlot(t *testing.T, first string, n int) []string {
	slot := redislock.KeySlot(channel(first))
	names := []string{first}
	for i := 0; len(names) < n; i++ {
		require.Less(t, i, 1<<20, "no %d names in slot %d", n, slot)
		if c := fmt.Sprintf("%s-%d", first, i); redislock.KeySlot(channel(c)) == slot {
			names = append(names, c)
		}
	}
	return names
}

// connections returns how many connections node has accepted since it started.
func connections(ctx context.Context, t *testing.T, node *goredis.Client) int {
	info, err := node.Info(ctx, "stats").Result()
	require.NoError(t, err)
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "total_connections_received:"); ok {
			n, err := strconv.Atoi(v)
			require.NoError(t, err)
			return n
		}
	}
	t.Fatal("INFO stats has no total_connections_received")
	return 0
}

// waitOnce runs one contended Acquire of name by the waiters' backend: a hold of the
// holders' backend, the waiter asleep on its subscription, the release and the waiter's
// hold, which it keeps (its key stays in the slot).
func (pc *pubsubCluster) waitOnce(ctx context.Context, t *testing.T, name string) {
	t.Helper()
	holds, got := pc.waitAll(ctx, t, name)
	releaseAll(ctx, t, holds, got)
}

// TestClusterWaitsKeepTheirConnection: on a Cluster the waiters of a process listen on one
// sharded pub/sub connection per hash slot, and one that has no channel left keeps it for
// a while (shard_linger.go). Waits one after another on names of one slot reuse it: before,
// every contended Acquire dialled the slot's master anew (a TLS handshake with
// rediss+cluster://; lockbench fight8 on a 3-master cluster: 2,077 connections for 2,067
// sections, against 19 after).
func TestClusterWaitsKeepTheirConnection(t *testing.T) {
	pc := startPubsubCluster(t)
	ctx := testCtx(t)
	names := namesInSlot(t, "reuse", 9)
	node := pc.master(ctx, t, names[0])
	pc.waitOnce(ctx, t, names[0]) // the pools and the slot's pub/sub connection are open
	before := connections(ctx, t, node)
	for _, n := range names[1:] {
		pc.waitOnce(ctx, t, n)
	}
	// A pool may open a second connection for a renewal beside a try; a wait that dials
	// anew opens one each.
	assert.LessOrEqual(t, connections(ctx, t, node)-before, 2, "%d waits on one slot opened a connection each", len(names)-1)
}

// TestClusterIdleShardFollowsMovedSlot: the slot of a name moves to another master while
// the waiters' connection for it lingers with no channel, so no server word tells the
// subscriber. The next wait checks that the node still serves the slot before it
// subscribes there, opens the slot's connection on the new master, and is woken by the
// release. Subscribed on the old master, it would have waited for the hold's TTL.
func TestClusterIdleShardFollowsMovedSlot(t *testing.T) {
	pc := startPubsubCluster(t)
	ctx := testCtx(t)
	names := namesInSlot(t, "idlemove", 2)
	from := pc.master(ctx, t, names[0])
	pc.waitOnce(ctx, t, names[0]) // the slot's connection lingers, on from; names[0] stays held

	to := pc.otherMaster(ctx, t, from)
	moveSlot(ctx, t, pc.admin, redislock.KeySlot(channel(names[0])), from, to)

	// Not waitAll: the test's own client's map of slots may not know of the move yet.
	holder := newLock(t, pc.holders, names[1], lock.WithTimeout(holdFor))
	require.NoError(t, holder.Acquire(ctx))
	w := newLock(t, pc.waiters, names[1], lock.WithTimeout(holdFor), lock.WithBlocking(eventually))
	got := make(chan error, 1)
	go func() { got <- w.Acquire(ctx) }()
	waitSubscribed(ctx, t, to, names[1], "subscribed on the slot's new master")
	releaseAll(ctx, t, []*redislock.Lock{holder}, []chan error{got})
}

// TestClusterSubscribesOnTheSlotsMaster: right after a slot moved, the cluster client's
// map of slots may still name the old master (go-redis reloads it in the background, after
// a redirect). A subscription opened by that map went to the old master, whose SSUBSCRIBE
// answer is a redirect: never confirmed, the waiter fell back on tries every 10 ms. The
// subscriber opens a slot's connection on the master that answers a read in the slot.
func TestClusterSubscribesOnTheSlotsMaster(t *testing.T) {
	pc := startPubsubCluster(t)
	ctx := testCtx(t)
	const name = "stalemap"
	from := pc.master(ctx, t, name)
	to := pc.otherMaster(ctx, t, from)
	holder := newLock(t, pc.holders, name, lock.WithTimeout(holdFor))
	require.NoError(t, holder.Acquire(ctx)) // a key in the slot, for moveSlot to migrate
	got, err := redislock.SlotMaster(ctx, pc.waiters, channel(name))
	require.NoError(t, err)
	require.Equal(t, from.Options().Addr, got, "before the move")
	moveSlot(ctx, t, pc.admin, redislock.KeySlot(channel(name)), from, to)
	// The waiters' client has sent nothing since: its map still names from.
	got, err = redislock.SlotMaster(ctx, pc.waiters, channel(name))
	require.NoError(t, err)
	assert.Equal(t, to.Options().Addr, got, "the subscription would go to the slot's old master")
	require.NoError(t, holder.Release(ctx))
}
