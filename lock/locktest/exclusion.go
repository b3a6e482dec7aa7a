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

// Fight sizes: 32 goroutines over 8 shared handles, 2048 sections in all.
const (
	fighters      = 32
	fightHandles  = 8
	fightSections = 64 // per goroutine
)

// fight checks mutual exclusion under contention: an overlap counter that must stay 0, and
// fences that strictly increase in the order the holds happen. Shared state is atomic because
// the race detector cannot see the happens-before edge a remote lock provides.
func (s *suite) fight(t *testing.T) {
	b := s.backend(t)
	n := name(t)
	handles := make([]lock.Locker, fightHandles)
	for i := range handles {
		handles[i] = newLock(t, b, n)
	}
	var (
		inside, overlaps, sections atomic.Int64
		lastFence                  atomic.Uint64
		fenceErrors                atomic.Int64
		wg                         sync.WaitGroup
	)
	for g := 0; g < fighters; g++ {
		l := handles[g%fightHandles]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < fightSections; i++ {
				if !assert.NoError(t, l.Acquire(ctx(t))) {
					return
				}
				if inside.Add(1) != 1 {
					overlaps.Add(1)
				}
				f := l.Fence()
				if prev := lastFence.Swap(f); f <= prev {
					fenceErrors.Add(1)
				}
				runtime.Gosched()
				sections.Add(1)
				inside.Add(-1)
				if !assert.NoError(t, l.Release(ctx(t))) {
					return
				}
			}
		}()
	}
	wg.Wait()
	require.Equal(t, int64(fighters*fightSections), sections.Load())
	assert.Zero(t, overlaps.Load(), "two holders at once")
	assert.Zero(t, fenceErrors.Load(), "fences out of hold order")
}
