package quorum_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redistest"
	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/quorum"
)

func TestKillOneOfThree(t *testing.T) { killMinorityThenMajority(t, 3) }

func TestKillTwoOfFive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts five servers")
	}
	killMinorityThenMajority(t, 5)
}

// killMinorityThenMajority runs a fight between two backends (two processes, as far as the
// nodes can tell) while a minority of the n servers is killed: no two holders overlap,
// fences keep growing, the fight goes on, and a hold taken before the kill is still held
// (renewed on the majority left) and released cleanly. Then one more server is killed, so
// that no majority is left: a hold is reported lost, and an Acquire fails at its blocking
// deadline with ErrNotAcquired joined with the node errors.
func killMinorityThenMajority(t *testing.T, n int) {
	ss := startServers(t, n)
	ctx := testCtx(t)
	open := func() *quorum.Backend {
		return newBackend(t, clients(t, addrs(ss)),
			quorum.WithLease(900*time.Millisecond), quorum.WithNodeTimeout(300*time.Millisecond))
	}
	a, b := open(), open()

	held := newLock(t, a, "held")
	require.NoError(t, held.Acquire(ctx))

	var inside, overlaps, sections atomic.Int64
	var lastFence atomic.Uint64
	var fenceErrors, releaseErrors atomic.Int64
	stop := make(chan struct{})
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		be := a
		if i%2 == 1 {
			be = b
		}
		l := newLock(t, be, "fight")
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := l.Acquire(ctx); err != nil {
					errs <- err
					return
				}
				if inside.Add(1) != 1 {
					overlaps.Add(1)
				}
				if f := l.Fence(); f <= lastFence.Load() {
					fenceErrors.Add(1)
				} else {
					lastFence.Store(f)
				}
				time.Sleep(time.Millisecond)
				inside.Add(-1)
				sections.Add(1)
				// A node killed in the middle of a Release, on a hold whose majority
				// included it, can leave the outcome unknown: the hold ends all the same.
				if err := l.Release(ctx); err != nil {
					releaseErrors.Add(1)
					t.Logf("release: %v", err)
				}
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	minority := (n - 1) / 2
	for _, s := range ss[:minority] {
		s.Kill()
	}
	before := sections.Load()
	time.Sleep(time.Second) // more than a lease: the held lock is renewed on the majority left
	after := sections.Load()
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("fighter: %v", err)
	}
	assert.Zero(t, overlaps.Load(), "two holders at once")
	assert.Zero(t, fenceErrors.Load(), "a fence that did not grow")
	assert.Greater(t, after, before, "the fight goes on with a minority of the servers dead")
	t.Logf("%d sections before the kill, %d after", before, after-before)

	select {
	case <-held.Lost():
		t.Fatal("a hold was lost while a majority of the servers lived")
	default:
	}
	require.NoError(t, held.Release(ctx), "a hold taken before the kill is released cleanly")

	doomed := newLock(t, a, "doomed")
	require.NoError(t, doomed.Acquire(ctx))
	lost := doomed.Lost()
	ss[minority].Kill() // no majority is left
	select {
	case <-lost:
	case <-time.After(eventually):
		t.Fatal("a hold was not reported lost when the majority died")
	}

	start := time.Now()
	err := newLock(t, b, "new", lock.WithBlocking(500*time.Millisecond)).Acquire(ctx)
	require.ErrorIs(t, err, lock.ErrNotAcquired)
	t.Logf("Acquire with no majority: %v", err)
	assert.Contains(t, err.Error(), "node 127.0.0.1:", "the node errors say why")
	assert.GreaterOrEqual(t, time.Since(start), 500*time.Millisecond, "it tried until the blocking deadline")
	assert.False(t, errors.Is(err, context.DeadlineExceeded), "not ambiguous with a ctx error")
}

// TestRestartedNodeCatchesUp: a node that comes back empty takes part again.
func TestRestartedNodeCatchesUp(t *testing.T) {
	ss := startServers(t, 3)
	ctx := testCtx(t)
	b := newBackend(t, clients(t, addrs(ss)), quorum.WithNodeTimeout(300*time.Millisecond))
	l := newLock(t, b, "x")
	restart := func(s *redistest.Server) { s.Kill(); s.Restart() }
	restart(ss[0])
	for i := 0; i < 3; i++ {
		require.NoError(t, l.Acquire(ctx))
		require.NoError(t, l.Release(ctx))
	}
	ss[1].Kill()
	require.NoError(t, l.Acquire(ctx), "nodes 0 and 2 are a majority")
	require.NoError(t, l.Release(ctx))
}

// TestFenceRaisedOnTheMajority: the nodes' fence counters disagree (node 0's is far ahead,
// as after a clock jump); a hold taken on nodes 0 and 1 gets node 0's fence, and the next
// hold, taken on nodes 1 and 2 after node 0 died, still gets a larger one, because the
// first hold raised node 1's counter to its fence.
func TestFenceRaisedOnTheMajority(t *testing.T) {
	ss := startServers(t, 3)
	ctx := testCtx(t)
	cs := clients(t, addrs(ss))
	const ahead = uint64(1) << 52 // ahead of the clock in µs, and exact in Lua's doubles
	require.NoError(t, cs[0].Set(ctx, "baton:fence:v2", ahead, 0).Err())
	b := newBackend(t, cs, quorum.WithNodeTimeout(300*time.Millisecond))
	l := newLock(t, b, "f")

	ss[2].Kill()
	require.NoError(t, l.Acquire(ctx))
	first := l.Fence()
	assert.Greater(t, first, ahead, "the fence is the largest of the majority's")
	require.NoError(t, l.Release(ctx))

	ss[2].Restart()
	ss[0].Kill()
	require.NoError(t, l.Acquire(ctx))
	assert.Greater(t, l.Fence(), first, "fences grow across majorities")
	require.NoError(t, l.Release(ctx))
}

// TestStalledNodeDoesNotHoldUpAMajority: one node of three stops answering (its link is
// paused, as a hung server or a partition would do). With a node timeout far longer than
// the test's patience, every call still returns: each needs a majority, not every node.
func TestStalledNodeDoesNotHoldUpAMajority(t *testing.T) {
	ss := startServers(t, 3)
	p := redistest.StartProxy(t, ss[0].Addr())
	as := addrs(ss)
	as[0] = p.Addr()
	b := newBackend(t, clients(t, as), quorum.WithNodeTimeout(time.Minute))
	ctx := testCtx(t)
	l := newLock(t, b, "stalled")
	require.NoError(t, l.Acquire(ctx)) // the connections are open: then stall the link
	require.NoError(t, l.Release(ctx))
	p.Pause()
	defer p.Resume()

	done := make(chan error, 1)
	go func() {
		var err error
		for i := 0; i < 5 && err == nil; i++ {
			if err = l.Acquire(ctx); err == nil {
				if err = l.Extend(ctx, time.Minute); err == nil {
					var held bool
					if held, err = l.Locked(ctx); err == nil && !held {
						err = errors.New("Locked says free while the lock is held")
					}
				}
				if err == nil {
					err = l.Release(ctx)
				}
			}
		}
		done <- err
	}()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(eventually):
		t.Fatal("calls waited for the stalled node")
	}
}

// TestReleaseWaitsForLateNode: a try succeeds once a majority has answered, and the other
// nodes answer later. Release frees such a node only after it has answered: a release
// that got there first would find nothing, and the try landing after it would leave the
// key taken on that node for a lease, where the next tries would count it against them.
func TestReleaseWaitsForLateNode(t *testing.T) {
	ss := startServers(t, 3)
	cs := clients(t, addrs(ss))
	g := &redistest.Gate{}
	cs[2].AddHook(g)
	// The held try and the release that waits for it each have a node timeout: a long one
	// keeps a loaded machine from timing them out, which would hide the order under test.
	b := newBackend(t, cs, quorum.WithNodeTimeout(10*time.Second))
	ctx := testCtx(t)
	l := newLock(t, b, "late")

	late := g.Hold("baton:{late}") // node 2 answers the try after the release
	require.NoError(t, l.Acquire(ctx))
	select {
	case <-late.Reached():
	case <-time.After(eventually):
		t.Fatal("the try never reached node 2")
	}
	require.NoError(t, l.Release(ctx))
	time.Sleep(100 * time.Millisecond) // time enough for a release that does not wait
	late.Open()
	keys := func(c goredis.UniversalClient, key string) int64 { // -1: no answer
		n, err := c.Exists(ctx, key).Result()
		if err != nil {
			return -1
		}
		return n
	}
	require.Eventually(t, func() bool { return keys(cs[2], "baton:fence:v2") == 1 }, eventually, time.Millisecond,
		"the try never landed on node 2")
	require.Eventually(t, func() bool { return keys(cs[2], "baton:{late}") == 0 }, eventually, 5*time.Millisecond,
		"the release ran on node 2 before the try: the key is left taken there")
	for i, c := range cs {
		assert.Zero(t, keys(c, "baton:{late}"), "node %d", i)
	}
}

// refuseWrites makes the node answer every write with an out-of-memory error.
func refuseWrites(t *testing.T, ctx context.Context, c goredis.UniversalClient) {
	t.Helper()
	require.NoError(t, c.ConfigSet(ctx, "maxmemory-policy", "noeviction").Err())
	require.NoError(t, c.ConfigSet(ctx, "maxmemory", "1").Err())
	require.Error(t, c.Set(ctx, "probe", "x", 0).Err(), "the node must refuse writes")
}

// acceptWrites undoes refuseWrites.
func acceptWrites(t *testing.T, ctx context.Context, c goredis.UniversalClient) {
	t.Helper()
	require.NoError(t, c.ConfigSet(ctx, "maxmemory", "0").Err())
}

// TestWaiterRetriesWhenTheOthersCannotAnswer: one node says the lock is taken (a stale key
// with a long TTL) and the others answer every try with an error (out of memory), while
// their subscriptions stay confirmed. The taken node alone makes no hold, so once the
// others can answer the lock is free on a majority, and no release will say so: the waiter
// must keep retrying at its backoff, not sleep until the stale key's TTL.
func TestWaiterRetriesWhenTheOthersCannotAnswer(t *testing.T) {
	ss := startServers(t, 3)
	cs := clients(t, addrs(ss))
	ctx := testCtx(t)
	const stale = time.Minute // longer than the test may take
	require.NoError(t, cs[0].Set(ctx, "baton:{oom}", "someone-else", stale).Err())
	for _, c := range cs[1:] {
		refuseWrites(t, ctx, c)
	}
	b := newBackend(t, cs)
	l := newLock(t, b, "oom", lock.WithBlocking(2*eventually))

	done := acquireInBackground(ctx, l)
	// Let the waiter subscribe on every node and find the lock taken on node 0 and the
	// others failing, more than once, before the others can answer again.
	time.Sleep(300 * time.Millisecond)
	requireWaiting(t, done, "while a majority could not take the lock")
	for _, c := range cs[1:] {
		acceptWrites(t, ctx, c)
	}
	requireAcquired(t, done, "the waiter slept on while the lock was free on a majority")
	require.NoError(t, l.Release(ctx))
}

// TestWaiterSleepsWhileAMajorityHolds: the holder took two of three nodes (the third
// failed its try) and the third is free again. A waiter's try takes the third node and
// finds the lock held by a majority: it must sleep until the holder's release, not try
// again and again (as after a split vote, or woken by the message of its own freeing of the
// third node). The other nodes answer its tries late, so that each try took the third.
func TestWaiterSleepsWhileAMajorityHolds(t *testing.T) {
	ss := startServers(t, 3)
	ctx := testCtx(t)
	holderClients := clients(t, addrs(ss))
	third := holderClients[2]
	refuseWrites(t, ctx, third)
	holder := newLock(t, newBackend(t, holderClients), "degraded")
	require.NoError(t, holder.Acquire(ctx), "nodes 0 and 1 make a majority")
	acceptWrites(t, ctx, third)

	waiterClients := clients(t, addrs(ss))
	tries := &scriptHook{key: "baton:{degraded}"}
	waiterClients[2].AddHook(tries)
	for _, c := range waiterClients[:2] { // node 2 answers first: the try took some nodes
		c.AddHook(&scriptHook{key: "baton:{degraded}", delay: 5 * time.Millisecond})
	}
	waiter := newLock(t, newBackend(t, waiterClients), "degraded")
	done := acquireInBackground(ctx, waiter)

	time.Sleep(300 * time.Millisecond) // the first tries, and those the subscription's confirmations start
	before := tries.n.Load()
	require.Positive(t, before, "the waiter never tried node 2")
	time.Sleep(time.Second)
	// A waiter that sleeps tries again only when the holder's TTL (30 s) runs out; one that
	// polls tries every few milliseconds. A slow machine only makes fewer tries.
	assert.LessOrEqual(t, tries.n.Load()-before, int64(10), "the waiter kept trying while a majority held the lock")
	requireWaiting(t, done, "while another process held the lock")

	require.NoError(t, holder.Release(ctx))
	requireAcquired(t, done, "the holder's release did not wake the waiter")
	require.NoError(t, waiter.Release(ctx))
}

// TestSplitKeysAreNoMajority: two of three nodes hold keys of two different owners (the
// leftovers of a split vote, or of tries that failed). Together they are a majority of the
// nodes, but no owner's: a waiter must not sleep until their TTL as if someone held the
// lock. When one of the keys goes, with no release published, the waiter takes the lock.
func TestSplitKeysAreNoMajority(t *testing.T) {
	ss := startServers(t, 3)
	cs := clients(t, addrs(ss))
	ctx := testCtx(t)
	const stale = time.Minute // longer than the test may take
	require.NoError(t, cs[0].Set(ctx, "baton:{split}", "owner-a", stale).Err())
	require.NoError(t, cs[1].Set(ctx, "baton:{split}", "owner-b", stale).Err())
	l := newLock(t, newBackend(t, cs), "split", lock.WithBlocking(2*eventually))

	done := acquireInBackground(ctx, l)
	time.Sleep(300 * time.Millisecond) // the waiter tries, subscribes, and tries again
	requireWaiting(t, done, "while no majority was free")
	require.NoError(t, cs[0].Del(ctx, "baton:{split}").Err())
	requireAcquired(t, done, "the waiter slept as if one owner held a majority")
	require.NoError(t, l.Release(ctx))
}

// acquireInBackground starts l.Acquire(ctx) and returns where its result will come.
func acquireInBackground(ctx context.Context, l lock.Locker) <-chan error {
	done := make(chan error, 1)
	go func() { done <- l.Acquire(ctx) }()
	return done
}

// requireWaiting fails t if the Acquire behind done has returned.
func requireWaiting(t *testing.T, done <-chan error, why string) {
	t.Helper()
	select {
	case err := <-done:
		t.Fatalf("Acquire returned %s: %v", why, err)
	default:
	}
}

// requireAcquired waits (at most eventually) for the Acquire behind done to succeed.
func requireAcquired(t *testing.T, done <-chan error, why string) {
	t.Helper()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(eventually):
		t.Fatal(why)
	}
}

// scriptHook is a go-redis hook that counts the scripts run on key, and delays each by
// delay.
type scriptHook struct {
	key   string
	delay time.Duration
	n     atomic.Int64
}

func (h *scriptHook) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (h *scriptHook) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		if args := cmd.Args(); len(args) > 3 && (args[0] == "evalsha" || args[0] == "eval") && args[3] == h.key {
			h.n.Add(1)
			time.Sleep(h.delay)
		}
		return next(ctx, cmd)
	}
}

func (h *scriptHook) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return next
}
