package future_test

import (
	"context"
	"testing"

	"github.com/batonlock/baton/future"
)

// BenchmarkGoAwait and BenchmarkGoroutineChannel compare a Go+Await round trip with the bare
// minimum it replaces: a goroutine sending on a buffered channel.
func BenchmarkGoAwait(b *testing.B) {
	ctx := context.Background()
	fn := func(context.Context) (int, error) { return 1, nil }
	b.ReportAllocs()
	for b.Loop() {
		if _, err := future.Go(ctx, fn).Await(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGoAwaitCancellableParent is Go+Await under a parent that can be cancelled, as a
// request's ctx can: fn's ctx then comes from context.WithCancel, which registers with the
// parent.
func BenchmarkGoAwaitCancellableParent(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fn := func(context.Context) (int, error) { return 1, nil }
	b.ReportAllocs()
	for b.Loop() {
		if _, err := future.Go(ctx, fn).Await(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGoroutineChannel(b *testing.B) {
	type result struct {
		v   int
		err error
	}
	fn := func(context.Context) (int, error) { return 1, nil }
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		c := make(chan result, 1)
		go func() {
			v, err := fn(ctx)
			c <- result{v, err}
		}()
		if r := <-c; r.err != nil {
			b.Fatal(r.err)
		}
	}
}

// BenchmarkAllResolved gathers 1e5 futures that have settled already; the time per future
// stays flat as the input grows (see the sub-benchmarks).
func BenchmarkAllResolved(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		fs := make([]*future.Future[int], n)
		for i := range fs {
			fs[i] = future.Resolved(i)
		}
		ctx := context.Background()
		b.Run(itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if v, err := future.All(ctx, fs...).Await(ctx); err != nil || len(v) != n {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAllPending gathers 1e5 promises that settle after All registered on them.
func BenchmarkAllPending(b *testing.B) {
	const n = 100_000
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		fs := make([]*future.Future[int], n)
		resolves := make([]func(int) bool, n)
		for i := range fs {
			fs[i], resolves[i], _ = future.NewPromise[int]()
		}
		all := future.All(ctx, fs...)
		for i, r := range resolves {
			r(i)
		}
		if _, err := all.Await(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkThenChain builds a chain of 1000 Then stages on a promise and settles it.
func BenchmarkThenChain(b *testing.B) {
	const depth = 1000
	ctx := context.Background()
	inc := func(_ context.Context, v int) (int, error) { return v + 1, nil }
	b.ReportAllocs()
	for b.Loop() {
		src, resolve, _ := future.NewPromise[int]()
		f := src
		for range depth {
			f = future.Then(f, inc)
		}
		resolve(0)
		if v, err := f.Await(ctx); err != nil || v != depth {
			b.Fatal(v, err)
		}
	}
}

func itoa(n int) string {
	switch n {
	case 1_000:
		return "1e3"
	case 100_000:
		return "1e5"
	}
	return "n"
}
