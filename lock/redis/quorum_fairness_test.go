package redis_test

import (
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	redislock "github.com/batonlock/baton/lock/redis"
)

// startNodes starts n servers for quorums and returns their addresses.
func startNodes(t *testing.T, n int) []string {
	var addrs []string
	for range n {
		addrs = append(addrs, startServer(t).Addr())
	}
	return addrs
}

// newQuorum returns a quorum on clients of its own to addrs (a process of its own, as far
// as the nodes can tell), closed when t ends.
func newQuorum(t *testing.T, addrs []string) *redislock.Quorum {
	var cs []goredis.UniversalClient
	for _, addr := range addrs {
		cs = append(cs, newClient(t, addr))
	}
	b, err := redislock.NewQuorum(cs, redislock.WithLogger(quiet))
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// TestQuorumProcessesShareFairly: quorums (processes) with one goroutine each fight over
// one name. A quorum's waiters race for each release, so no process may keep an edge in
// that race: the least served gets at least 3/5 of the most served's holds (0.7–0.95 in
// runs of the test, with or without -race). While a winner kept its subscriptions, the
// nodes told the processes of every release in the same order, and the least served got
// 0.2–0.5 of the most served's holds (PROTOCOL.md, "Messages"). The sections are long
// enough that the process has CPU to spare under -race, where the order of hearing would
// otherwise not decide the race.
func TestQuorumProcessesShareFairly(t *testing.T) {
	addrs := startNodes(t, 3)
	ctx := testCtx(t)
	const backends, holds, section = 4, 400, 5 * time.Millisecond
	var total atomic.Int64
	counts := make([]int, backends)
	var wg sync.WaitGroup
	for i := range counts {
		l := newLock(t, newQuorum(t, addrs), "share")
		wg.Add(1)
		go func() {
			defer wg.Done()
			for total.Add(1) <= holds {
				if !assert.NoError(t, l.Acquire(ctx)) {
					return
				}
				counts[i]++
				time.Sleep(section)
				if !assert.NoError(t, l.Release(ctx)) {
					return
				}
			}
		}()
	}
	wg.Wait()
	lo, hi := slices.Min(counts), slices.Max(counts)
	t.Logf("holds per quorum: %v", counts)
	assert.GreaterOrEqual(t, 5*lo, 3*hi, "the least served quorum got under 3/5 of the most served's holds")
}

// TestQuorumWinnerUnsubscribes: a quorum's channel does not linger after its last waiter
// took the lock (PROTOCOL.md, "Messages"): the winner unsubscribes on every node on its
// way out of Acquire, so that when it waits again it subscribes anew and takes a new
// place in each node's order of delivery, instead of keeping the one it had.
func TestQuorumWinnerUnsubscribes(t *testing.T) {
	addrs := startNodes(t, 3)
	ctx := testCtx(t)
	a, b := newQuorum(t, addrs), newQuorum(t, addrs)
	holder, waiter := newLock(t, a, "leave"), newLock(t, b, "leave")
	const channel = "baton:{leave}:released"

	require.NoError(t, holder.Acquire(ctx))
	got := waitFor(ctx, waiter)
	require.Eventually(t, func() bool { return redislock.Subscribed(b, channel) == len(addrs) }, eventually, time.Millisecond)
	require.NoError(t, holder.Release(ctx))
	require.NoError(t, <-got)
	assert.Zero(t, redislock.Subscribed(b, channel), "the winner's channel is still subscribed")
	require.NoError(t, waiter.Release(ctx))
}
