package locktest

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
)

const fightPermits = 3

// permitsAdmitN: n handles hold at once, the next is refused, and a release lets it in.
// Every hold has its own fence.
func (s *primitives) permitsAdmitN(t *testing.T) {
	b := s.backend(t)
	n := name(t)
	fences := map[uint64]bool{}
	var holders []lock.Locker
	for range fightPermits {
		l := acquired(t, b, n, lock.WithPermits(fightPermits), lock.WithBlocking(lock.NoWait))
		assert.False(t, fences[l.Fence()], "fence %d handed out twice", l.Fence())
		fences[l.Fence()] = true
		holders = append(holders, l)
	}
	extra := newLock(t, b, n, lock.WithPermits(fightPermits), lock.WithBlocking(lock.NoWait))
	assert.ErrorIs(t, extra.Acquire(ctx(t)), lock.ErrNotAcquired, "a hold beyond the permits")
	require.NoError(t, holders[1].Release(ctx(t)))
	require.NoError(t, extra.Acquire(ctx(t)), "a released permit is free")
	assert.Greater(t, extra.Fence(), holders[2].Fence(), "the fence grows with every acquisition")
	for _, l := range []lock.Locker{holders[0], holders[2], extra} {
		require.NoError(t, l.Release(ctx(t)))
	}
}

// permitsFIFO: waiters for a permit are admitted in arrival order, one per release.
func (s *primitives) permitsFIFO(t *testing.T) {
	b := s.backend(t)
	n := name(t)
	a := acquired(t, b, n, lock.WithPermits(2))
	c := acquired(t, b, n, lock.WithPermits(2))
	probe := newWaitProbe()
	var waits []<-chan error
	var waiters []lock.Locker
	for range 3 {
		w := newLock(t, b, n, lock.WithPermits(2), lock.WithObserver(probe))
		waiters = append(waiters, w)
		waits = append(waits, probe.queued(t, w, "waiter"))
	}
	require.NoError(t, a.Release(ctx(t)))
	require.NoError(t, result(t, waits[0], "the first waiter"))
	pending(t, waits[1], quiet, "the second waiter, with no permit free")
	require.NoError(t, c.Release(ctx(t)))
	require.NoError(t, result(t, waits[1], "the second waiter"))
	require.NoError(t, waiters[0].Release(ctx(t)))
	require.NoError(t, result(t, waits[2], "the third waiter"))
	require.NoError(t, waiters[1].Release(ctx(t)))
	require.NoError(t, waiters[2].Release(ctx(t)))
}

// permitsFight: at most n inside under a fight of 32 goroutines over several handles (and
// backends, when the backend has peers); fences are unique and each is above every fence
// of a hold that ended before its Acquire began.
func (s *primitives) permitsFight(t *testing.T) {
	bs := s.backends(t, 4)
	n := name(t)
	handles := make([]lock.Locker, fightHandles)
	for i := range handles {
		handles[i] = newLock(t, bs[i%len(bs)], n, lock.WithPermits(fightPermits))
	}
	var (
		inside, most, overbooked, sections atomic.Int64
		endedFence                         atomic.Uint64 // highest fence of a hold that ended
		fenceErrors                        atomic.Int64
		mu                                 sync.Mutex
		seen                               = map[uint64]bool{}
		wg                                 sync.WaitGroup
	)
	for g := range fighters {
		l := handles[g%fightHandles]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range fightSections {
				before := endedFence.Load()
				if !assert.NoError(t, l.Acquire(ctx(t))) {
					return
				}
				now := inside.Add(1)
				if now > fightPermits {
					overbooked.Add(1)
				}
				for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
				}
				f := l.Fence()
				mu.Lock()
				if f <= before || seen[f] {
					fenceErrors.Add(1)
				}
				seen[f] = true
				mu.Unlock()
				runtime.Gosched()
				sections.Add(1)
				inside.Add(-1)
				for e := endedFence.Load(); f > e && !endedFence.CompareAndSwap(e, f); e = endedFence.Load() {
				}
				if !assert.NoError(t, l.Release(ctx(t))) {
					return
				}
			}
		}()
	}
	wg.Wait()
	require.Equal(t, int64(fighters*fightSections), sections.Load())
	assert.Zero(t, overbooked.Load(), "more than %d holders at once", fightPermits)
	assert.LessOrEqual(t, most.Load(), int64(fightPermits))
	assert.Zero(t, fenceErrors.Load(), "fences repeated or out of hold order")
}

// permitsExpire: a hold of a semaphore expires on its own, closing its Lost and freeing
// its permit for the waiter, while the other hold goes on.
func (s *primitives) permitsExpire(t *testing.T) {
	b := s.backend(t)
	n := name(t)
	short := acquired(t, b, n, lock.WithPermits(2), lock.WithTimeout(shortTTL))
	long := acquired(t, b, n, lock.WithPermits(2))
	probe := newWaitProbe()
	waiter := newLock(t, b, n, lock.WithPermits(2), lock.WithObserver(probe))
	got := probe.queued(t, waiter, "waiter for a permit")
	closed(t, short.Lost(), "the expired permit's Lost")
	require.NoError(t, result(t, got, "the waiter, after the expiry"))
	assert.False(t, isClosed(long.Lost()), "the other hold goes on")
	require.NoError(t, long.Extend(ctx(t), eventually))
	require.NoError(t, long.Release(ctx(t)))
	require.NoError(t, waiter.Release(ctx(t)))
}

// permitsDisagree: while a name is in use with n permits, a handle with another n gets an
// ErrInvalid error naming both; once the name is unused, any n may take it.
func (s *primitives) permitsDisagree(t *testing.T) {
	b := s.backend(t)
	n := name(t)
	three := acquired(t, b, n, lock.WithPermits(3))
	two := newLock(t, b, n, lock.WithPermits(2))
	err := two.Acquire(ctx(t))
	require.ErrorIs(t, err, lock.ErrInvalid)
	assert.ErrorContains(t, err, "3")
	assert.ErrorContains(t, err, "2")
	plain := newLock(t, b, n)
	assert.ErrorIs(t, plain.Acquire(ctx(t)), lock.ErrInvalid, "a plain lock is one permit")
	require.NoError(t, three.Release(ctx(t)))
	require.NoError(t, two.Acquire(ctx(t)), "an unused name keeps no count")
	require.NoError(t, two.Release(ctx(t)))
}
