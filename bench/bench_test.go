package bench_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/bench"
	"github.com/batonlock/baton/future"
)

var errBoom = errors.New("boom")

func await[T any](t *testing.T, f *future.Future[T]) (T, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := f.Await(ctx)
	require.NotErrorIs(t, err, context.DeadlineExceeded, "future did not settle")
	return v, err
}

func TestTimeitCountsCallsAndErrors(t *testing.T) {
	var calls atomic.Int64
	res, err := await(t, bench.Timeit(context.Background(), 100, func(context.Context) error {
		if calls.Add(1)%10 == 0 {
			return errBoom
		}
		return nil
	}))
	require.NoError(t, err)
	assert.Equal(t, int64(100), calls.Load())
	assert.Equal(t, 100, res.Times)
	assert.Equal(t, 100, res.Concurrency, "all at once by default")
	assert.Equal(t, 10, res.Errors)
	assert.ErrorIs(t, res.Err, errBoom)
	assert.Len(t, res.Latencies, 100)
	assert.Positive(t, res.Taken)
	assert.Positive(t, res.Throughput())
}

func TestTimeitConcurrencyLimit(t *testing.T) {
	var running, most atomic.Int32
	res, err := await(t, bench.Timeit(context.Background(), 50, func(context.Context) error {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(time.Millisecond)
		return nil
	}, bench.WithConcurrency(4)))
	require.NoError(t, err)
	assert.Equal(t, 4, res.Concurrency)
	assert.LessOrEqual(t, most.Load(), int32(4))
	assert.Equal(t, 50, res.Times)
}

func TestTimeitPanicCountsAsError(t *testing.T) {
	res, err := await(t, bench.Timeit(context.Background(), 3, func(context.Context) error { panic("bench") }))
	require.NoError(t, err)
	assert.Equal(t, 3, res.Errors)
	var pe *future.PanicError
	assert.ErrorAs(t, res.Err, &pe)
}

func TestTimeitZeroTimes(t *testing.T) {
	res, err := await(t, bench.Timeit(context.Background(), 0, func(context.Context) error { return nil }))
	require.NoError(t, err)
	assert.Zero(t, res.Times)
	assert.Zero(t, res.P99())
	assert.Zero(t, res.Mean())
}

func TestTimeitInvalid(t *testing.T) {
	nop := func(context.Context) error { return nil }
	for _, f := range []*future.Future[*bench.Result]{
		bench.Timeit(context.Background(), -1, nop),
		bench.Timeit(context.Background(), 1, nop, bench.WithConcurrency(-2)),
		bench.Timeit(context.Background(), 1, nil),
	} {
		_, err := await(t, f)
		assert.ErrorIs(t, err, bench.ErrInvalid)
	}
}

func TestTimeitStopsWhenCtxEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int64
	f := bench.Timeit(ctx, 1000, func(context.Context) error {
		if calls.Add(1) == 5 {
			cancel()
		}
		return nil
	}, bench.WithConcurrency(1))
	_, err := await(t, f)
	assert.ErrorIs(t, err, bench.ErrStopped)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, int64(5), calls.Load(), "no call starts after ctx ended")
}

func TestTimeitCancel(t *testing.T) {
	started := make(chan struct{}, 1)
	f := bench.Timeit(context.Background(), 10, func(ctx context.Context) error {
		select {
		case started <- struct{}{}:
		default:
		}
		<-ctx.Done()
		return ctx.Err()
	}, bench.WithConcurrency(2))
	<-started
	f.Cancel()
	_, err := await(t, f)
	assert.ErrorIs(t, err, bench.ErrStopped)
}

func TestBenchZeroValue(t *testing.T) {
	res, err := await(t, bench.Bench{}.Run(context.Background(), func(context.Context) error { return nil }))
	require.NoError(t, err)
	assert.Zero(t, res.Times)
}
