package scenario

import (
	"context"
	"encoding/hex"
	"errors"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	crand "crypto/rand"

	"github.com/batonlock/baton/bench"
)

// run counts the operations of a scenario and says when to stop.
type run struct {
	ops      int64 // 0: until deadline
	deadline time.Time
	done     atomic.Int64
	start    time.Time
	elapsed  time.Duration
}

func newRun(p Params) *run {
	r := &run{ops: int64(p.Ops)}
	if r.ops == 0 {
		r.deadline = time.Now().Add(or(p.Duration, time.Second))
	}
	return r
}

// claim reserves one operation, false when the run is over.
func (r *run) claim() bool {
	if r.ops > 0 {
		if r.done.Add(1) > r.ops {
			r.done.Add(-1)
			return false
		}
		return true
	}
	if time.Now().After(r.deadline) {
		return false
	}
	r.done.Add(1)
	return true
}

// workers runs op on n goroutines until the run is over or an op fails.
func (r *run) workers(ctx context.Context, n int, op func(w int) error) error {
	var wg sync.WaitGroup
	var first atomic.Pointer[error]
	var stop atomic.Bool
	r.start = time.Now()
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() && ctx.Err() == nil && r.claim() {
				if err := op(w); err != nil {
					first.CompareAndSwap(nil, &err)
					stop.Store(true)
					return
				}
			}
		}()
	}
	wg.Wait()
	r.elapsed = time.Since(r.start)
	if p := first.Load(); p != nil {
		return *p
	}
	return ctx.Err()
}

// timeit makes the run's r.ops operations one at a time through bench.Timeit, and stops at
// the first error. Count-based scenarios whose operations take milliseconds (handoff rounds)
// use it; fast ones keep the bare loop of workers, which costs less per operation.
func (r *run) timeit(ctx context.Context, op func() error) error {
	bctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	r.start = time.Now()
	_, err := bench.Timeit(bctx, int(r.ops), func(context.Context) error {
		if err := op(); err != nil {
			cancel(err) // no more calls: a failed round can leave the lock held
			return err
		}
		r.done.Add(1)
		return nil
	}, bench.WithConcurrency(1)).Await(context.Background())
	r.elapsed = time.Since(r.start)
	if cause := context.Cause(bctx); cause != nil {
		return cause // the first failed operation, or ctx's error
	}
	return err
}

func (r *run) stats(scenario string, t Target) Stats {
	n := int(r.done.Load())
	s := Stats{Scenario: scenario, Target: t.Name, Ops: n, Elapsed: r.elapsed}
	if r.elapsed > 0 {
		s.PerSec = float64(n) / r.elapsed.Seconds()
	}
	return s
}

func percentiles(ds []time.Duration) (p50, p99 time.Duration) {
	if len(ds) == 0 {
		return 0, 0
	}
	ds = slices.Clone(ds)
	slices.Sort(ds)
	// The nearest rank, as bench.Result.Percentile: the median of 200 is the 100th.
	at := func(q float64) time.Duration { return ds[max(int(math.Ceil(q*float64(len(ds))))-1, 0)] }
	return at(0.50), at(0.99)
}

// runName returns a lock name unique to this run.
func runName(scenario string) string {
	var b [4]byte
	_, _ = crand.Read(b[:])
	return "bench:" + scenario + ":" + hex.EncodeToString(b[:])
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func errorsJoin(a, b error) error { return errors.Join(a, b) }
