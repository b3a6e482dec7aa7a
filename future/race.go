package future

import (
	"context"
	"errors"
	"sync/atomic"
)

// Race returns a future that settles as the first of fs to settle does, value or error. Of
// futures that have settled already, the first in fs wins. Race of no futures rejects at
// once with ErrNoFutures: there is no winner. It rejects with ctx's error if ctx ends before
// any of fs settles. The losers are left running; cancel them if they should stop.
func Race[T any](ctx context.Context, fs ...*Future[T]) *Future[T] {
	if len(fs) == 0 {
		return Rejected[T](ErrNoFutures)
	}
	g := &gather[T, T]{ctx: ctx, srcs: fs}
	return g.run(func(out *Future[T], _ int, v T, err error) {
		out.settle(v, err)
	})
}

// Any returns a future that resolves with the value of the first of fs to resolve. If all
// of them reject, it rejects with errors.Join of their errors, in the order of fs. Any of no
// futures rejects at once with ErrNoFutures. It rejects with ctx's error if ctx ends before
// it is decided. The others are left running.
func Any[T any](ctx context.Context, fs ...*Future[T]) *Future[T] {
	if len(fs) == 0 {
		return Rejected[T](ErrNoFutures)
	}
	errs := make([]error, len(fs))
	var left atomic.Int64
	left.Store(int64(len(fs)))
	g := &gather[T, T]{ctx: ctx, srcs: fs}
	return g.run(func(out *Future[T], i int, v T, err error) {
		if err == nil {
			out.settle(v, nil)
			return
		}
		errs[i] = err
		if left.Add(-1) == 0 {
			out.settle(zeroOf[T](), errors.Join(errs...))
		}
	})
}
