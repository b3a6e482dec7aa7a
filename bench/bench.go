package bench

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/batonlock/baton/future"
)

// Bench executes a given number of calls and waits for their
// results. The zero Bench makes no calls.
type Bench struct {
	// Times is how many calls to make.
	Times int
	// Concurrency is how many calls may run at once. 0 (the default) starts them all at
	// once: one goroutine per call, so bound it for large Times.
	Concurrency int
}

// Option changes a setting of Timeit's Bench.
type Option func(*Bench)

// WithConcurrency lets at most n calls run at once; n = 0 (the default) starts every call at
// once.
func WithConcurrency(n int) Option { return func(b *Bench) { b.Concurrency = n } }

// Timeit runs Bench{Times: times}, with opts applied, on fn.
func Timeit(ctx context.Context, times int, fn func(ctx context.Context) error, opts ...Option) *future.Future[*Result] {
	b := Bench{Times: times}
	for _, o := range opts {
		o(&b)
	}
	return b.Run(ctx, fn)
}

// Run calls fn b.Times times, at most b.Concurrency at once, and returns the future of the
// Result. The run happens on goroutines owned by the future: when it settles, every call
// has returned.
//
// A call that returns an error, or panics (a *future.PanicError), counts as failed; the run
// goes on. If ctx ends, or the future is cancelled, no more calls start: the future rejects,
// once the calls under way have returned, with ErrStopped joined with ctx's error. Bad
// settings reject at once with ErrInvalid.
func (b Bench) Run(ctx context.Context, fn func(ctx context.Context) error) *future.Future[*Result] {
	switch {
	case b.Times < 0:
		return future.Rejected[*Result](fmt.Errorf("%w: times %d is negative", ErrInvalid, b.Times))
	case b.Concurrency < 0:
		return future.Rejected[*Result](fmt.Errorf("%w: concurrency %d is negative (0 starts every call at once)", ErrInvalid, b.Concurrency))
	case fn == nil:
		return future.Rejected[*Result](fmt.Errorf("%w: no function to call", ErrInvalid))
	}
	return future.Go(ctx, func(ctx context.Context) (*Result, error) { return b.run(ctx, fn) })
}

func (b Bench) run(ctx context.Context, fn func(context.Context) error) (*Result, error) {
	workers := b.Times
	if b.Concurrency > 0 && b.Concurrency < workers {
		workers = b.Concurrency
	}
	var (
		latencies = make([]time.Duration, b.Times)
		next      atomic.Int64 // index of the next call to make
		made      atomic.Int64
		failed    atomic.Int64
		firstErr  error
		errOnce   sync.Once
		wg        sync.WaitGroup
	)
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= int64(b.Times) {
					return
				}
				t0 := time.Now()
				err := call(ctx, fn)
				latencies[i] = time.Since(t0)
				made.Add(1)
				if err != nil {
					failed.Add(1)
					errOnce.Do(func() { firstErr = err })
				}
			}
		}()
	}
	wg.Wait()
	taken := time.Since(start)
	if err := ctx.Err(); err != nil && int(made.Load()) < b.Times {
		return nil, errors.Join(fmt.Errorf("%w: %d of %d calls made", ErrStopped, made.Load(), b.Times), err)
	}
	slices.Sort(latencies)
	return &Result{
		Times:       b.Times,
		Concurrency: workers,
		Taken:       taken,
		Errors:      int(failed.Load()),
		Err:         firstErr,
		Latencies:   latencies,
	}, nil
}

// call runs fn, turning a panic into a *future.PanicError so that one bad call does not end
// the run.
func call(ctx context.Context, fn func(context.Context) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &future.PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	return fn(ctx)
}
