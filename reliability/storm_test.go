package reliability_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redistest"
	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/driver"
	"github.com/batonlock/baton/lock/local"
	redislock "github.com/batonlock/baton/lock/redis"
)

// The storm: stormWaiters waiters on one name, arriving in stormBatches batches while the
// name is held, a third of them with a ctx cancelled at a random moment.
const (
	stormWaiters = 1000
	stormBatches = 10
	stormGap     = 50 * time.Millisecond // lets a batch queue before the next arrives
	stormCancel  = 3                     // one waiter in stormCancel has its ctx cancelled
)

type grant struct {
	waiter, batch, backend int
	fence                  uint64
}

// runStorm sends the waiters, spread round-robin over backends, against one held name. It
// checks that every waiter either got the lock once or returned its ctx's error, that no
// two holds overlapped, that fences grew in grant order and that, within each backend,
// waiters were served in the order their batches arrived.
func runStorm(t *testing.T, backends []lock.Backend) {
	ctx := testCtx(t)
	holder := newLock(t, backends[0], "storm")
	require.NoError(t, holder.Acquire(ctx))

	var (
		mu        sync.Mutex
		grants    []grant
		cancelled atomic.Int64
		inside    atomic.Int32
		overlaps  atomic.Int64
		wrong     atomic.Int64
		firstErr  atomic.Value
		wg        sync.WaitGroup
	)
	per := stormWaiters / stormBatches
	for batch := 0; batch < stormBatches; batch++ {
		var started sync.WaitGroup
		for i := 0; i < per; i++ {
			id := batch*per + i
			bi := id % len(backends)
			l := newLock(t, backends[bi], "storm")
			wctx, cancel := context.WithCancel(ctx)
			willCancel := rand.IntN(stormCancel) == 0
			if willCancel {
				// Somewhere between now and well after the holder let go.
				d := time.Duration(rand.Int64N(int64(2 * stormBatches * stormGap)))
				time.AfterFunc(d, cancel)
			}
			wg.Add(1)
			started.Add(1)
			go func() {
				defer wg.Done()
				defer cancel()
				started.Done()
				err := l.Acquire(wctx)
				if err != nil {
					if willCancel && errors.Is(err, context.Canceled) && wctx.Err() != nil {
						cancelled.Add(1)
					} else {
						wrong.Add(1)
						firstErr.CompareAndSwap(nil, err)
					}
					return
				}
				if inside.Add(1) != 1 {
					overlaps.Add(1)
				}
				mu.Lock()
				grants = append(grants, grant{waiter: id, batch: batch, backend: bi, fence: l.Fence()})
				mu.Unlock()
				inside.Add(-1)
				if err := l.Release(context.Background()); err != nil {
					wrong.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
			}()
		}
		started.Wait()
		time.Sleep(stormGap)
	}
	require.NoError(t, holder.Release(ctx))
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * eventually):
		t.Fatalf("waiters still blocked after %v: %d granted, %d cancelled", 2*eventually, len(grants), cancelled.Load())
	}

	t.Logf("%d waiters: %d got the lock, %d returned their ctx's error", stormWaiters, len(grants), cancelled.Load())
	assert.Zero(t, wrong.Load(), "waiters that neither got the lock nor returned their ctx's error; first: %v", firstErr.Load())
	assert.Equal(t, int64(stormWaiters), int64(len(grants))+cancelled.Load(), "every waiter accounted for, once")
	assert.Zero(t, overlaps.Load(), "overlapping holds")
	seen := map[int]bool{}
	for i, g := range grants {
		assert.False(t, seen[g.waiter], "waiter %d got the lock twice", g.waiter)
		seen[g.waiter] = true
		if i > 0 {
			assert.Greater(t, g.fence, grants[i-1].fence, "fences out of grant order at grant %d", i)
		}
	}
	assert.True(t, sort.SliceIsSorted(grants, func(i, j int) bool { return grants[i].fence < grants[j].fence }))
	for bi := range backends {
		latest, violations := 0, 0
		for _, g := range grants {
			if g.backend != bi {
				continue
			}
			if g.batch < latest {
				violations++
			}
			latest = max(latest, g.batch)
		}
		assert.Zero(t, violations, "backend %d served a waiter after one that arrived a batch later", bi)
	}
	free := newLock(t, backends[0], "storm", lock.WithBlocking(lock.NoWait))
	require.NoError(t, free.Acquire(ctx), "the lock is free after the storm")
	require.NoError(t, free.Release(ctx))
}

func TestWaiterStormLocal(t *testing.T) {
	b := local.New(driver.Options{Blocking: lock.Forever, Logger: quiet})
	defer b.Close()
	runStorm(t, []lock.Backend{b})
	assert.Zero(t, b.Len(), "state left behind")
}

// TestWaiterStormRedis: the storm on a real server, the waiters spread over two backends
// (two processes): FIFO holds within each.
func TestWaiterStormRedis(t *testing.T) {
	s := redistest.Start(t)
	a := newBackend(t, newClient(t, s.Addr()), redislock.WithPrefix("storm:"))
	b := newBackend(t, newClient(t, s.Addr()), redislock.WithPrefix("storm:"))
	runStorm(t, []lock.Backend{a, b})
}
