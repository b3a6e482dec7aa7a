package locktest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
)

// sharedTogether: shared holds coexist, and exclude an exclusive hold both ways.
func (s *primitives) sharedTogether(t *testing.T) {
	b := s.backend(t)
	n := name(t)
	var readers []lock.Locker
	for range 3 {
		readers = append(readers, acquired(t, b, n, lock.WithShared(), lock.WithBlocking(lock.NoWait)))
	}
	writer := newLock(t, b, n, lock.WithBlocking(lock.NoWait))
	assert.ErrorIs(t, writer.Acquire(ctx(t)), lock.ErrNotAcquired, "a writer beside readers")
	held, err := writer.Locked(ctx(t))
	require.NoError(t, err)
	assert.True(t, held)
	for _, r := range readers {
		require.NoError(t, r.Release(ctx(t)))
	}
	require.NoError(t, writer.Acquire(ctx(t)))
	reader := newLock(t, b, n, lock.WithShared(), lock.WithBlocking(lock.NoWait))
	assert.ErrorIs(t, reader.Acquire(ctx(t)), lock.ErrNotAcquired, "a reader beside a writer")
	require.NoError(t, writer.Release(ctx(t)))
}

// sharedAdmittedTogether: with a writer holding and readers r1, r2, writer w2 and reader r3
// queued in that order, the release admits r1 and r2 together, not w2 nor r3 (no reader
// overtakes a queued writer); their releases admit w2, and its release r3.
func (s *primitives) sharedAdmittedTogether(t *testing.T) {
	b := s.backend(t)
	n := name(t)
	w1 := acquired(t, b, n)
	probe := newWaitProbe()
	r1 := newLock(t, b, n, lock.WithShared(), lock.WithObserver(probe))
	r2 := newLock(t, b, n, lock.WithShared(), lock.WithObserver(probe))
	w2 := newLock(t, b, n, lock.WithObserver(probe))
	r3 := newLock(t, b, n, lock.WithShared(), lock.WithObserver(probe))
	g1, g2 := probe.queued(t, r1, "r1"), probe.queued(t, r2, "r2")
	gw2, g3 := probe.queued(t, w2, "w2"), probe.queued(t, r3, "r3")
	require.NoError(t, w1.Release(ctx(t)))
	require.NoError(t, result(t, g1, "r1"))
	require.NoError(t, result(t, g2, "r2, with r1"))
	pending(t, gw2, quiet, "w2 beside readers")
	pending(t, g3, 0, "r3 behind the queued writer")
	require.NoError(t, r1.Release(ctx(t)))
	require.NoError(t, r2.Release(ctx(t)))
	require.NoError(t, result(t, gw2, "w2"))
	pending(t, g3, quiet, "r3 beside a writer")
	require.NoError(t, w2.Release(ctx(t)))
	require.NoError(t, result(t, g3, "r3"))
	require.NoError(t, r3.Release(ctx(t)))
}

// writerNotStarved: readers take and release shared holds without pause; a writer that asks
// still gets its turn, because a reader that comes after a queued writer waits behind it.
func (s *primitives) writerNotStarved(t *testing.T) {
	b := s.backend(t)
	n := name(t)
	first := acquired(t, b, n, lock.WithShared())
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		r := newLock(t, b, n, lock.WithShared())
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if !assert.NoError(t, r.Acquire(ctx(t))) || !assert.NoError(t, r.Release(ctx(t))) {
					return
				}
			}
		}()
	}
	probe := newWaitProbe()
	writer := newLock(t, b, n, lock.WithObserver(probe))
	got := probe.queued(t, writer, "the writer")
	late := newLock(t, b, n, lock.WithShared(), lock.WithBlocking(lock.NoWait))
	assert.ErrorIs(t, late.Acquire(ctx(t)), lock.ErrNotAcquired, "a reader that came after a queued writer waits behind it")
	require.NoError(t, first.Release(ctx(t)))
	require.NoError(t, result(t, got, "the writer among continuous readers"))
	close(stop)
	require.NoError(t, writer.Release(ctx(t)))
	wg.Wait()
}

// sharedFight: readers and writers over several handles (and backends): a writer is never
// inside with anyone, and fences are unique.
func (s *primitives) sharedFight(t *testing.T) {
	bs := s.backends(t, 4)
	n := name(t)
	var readers, writers, bad atomic.Int64
	var mu sync.Mutex
	seen := map[uint64]bool{}
	var wg sync.WaitGroup
	for g := range fighters {
		shared := g%4 != 0
		opts := []lock.Option{}
		if shared {
			opts = append(opts, lock.WithShared())
		}
		l := newLock(t, bs[g%len(bs)], n, opts...)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range fightSections / 2 {
				if !assert.NoError(t, l.Acquire(ctx(t))) {
					return
				}
				if shared {
					readers.Add(1)
					if writers.Load() != 0 {
						bad.Add(1)
					}
				} else if writers.Add(1) != 1 || readers.Load() != 0 {
					bad.Add(1)
				}
				mu.Lock()
				if seen[l.Fence()] {
					bad.Add(1)
				}
				seen[l.Fence()] = true
				mu.Unlock()
				if shared {
					readers.Add(-1)
				} else {
					writers.Add(-1)
				}
				if !assert.NoError(t, l.Release(ctx(t))) {
					return
				}
			}
		}()
	}
	wg.Wait()
	assert.Zero(t, bad.Load(), "a writer beside another holder, or a fence handed out twice")
}

// writerGivesUp: a writer queued behind readers holds back the readers that came after it;
// when it gives up, they are admitted beside the readers inside, with no release needed.
func (s *primitives) writerGivesUp(t *testing.T) {
	b := s.backend(t)
	n := name(t)
	first := acquired(t, b, n, lock.WithShared())
	probe := newWaitProbe()
	c, cancel := context.WithCancel(ctx(t))
	writer := newLock(t, b, n, lock.WithObserver(probe))
	gw := acquireAsync(c, writer)
	probe.waited(t, "the writer behind the reader")
	reader := newLock(t, b, n, lock.WithShared(), lock.WithObserver(probe))
	gr := probe.queued(t, reader, "the reader behind the writer")
	cancel()
	assert.ErrorIs(t, result(t, gw, "the writer that gave up"), context.Canceled)
	require.NoError(t, result(t, gr, "the reader, once the writer left"))
	require.NoError(t, reader.Release(ctx(t)))
	require.NoError(t, first.Release(ctx(t)))
}
