package future

import (
	"context"
	"fmt"
	"sync/atomic"
)

// AllOption changes how All (through AllWith) and AllMap behave.
type AllOption func(*allConfig)

type allConfig struct {
	cancelOthers bool
}

// CancelOthers makes an aggregate call Cancel on every source when it fails: when a source
// rejects, when ctx ends, or when the aggregate itself is cancelled. Without it (the
// default) the sources are left running: they may have other consumers.
func CancelOthers() AllOption { return func(c *allConfig) { c.cancelOthers = true } }

// All returns a future of the values of fs, in their order, once all have resolved. It
// rejects with the first error, in time, of any of them, or with ctx's error if ctx ends
// before that. All of no futures resolves at once with an empty slice. A nil future rejects
// it with ErrNilFuture. To cancel the others on the first error, use AllWith and
// CancelOthers.
func All[T any](ctx context.Context, fs ...*Future[T]) *Future[[]T] {
	return AllWith(ctx, fs)
}

// AllWith is All with options; fs is not retained after the result settles.
func AllWith[T any](ctx context.Context, fs []*Future[T], opts ...AllOption) *Future[[]T] {
	var cfg allConfig
	for _, o := range opts {
		o(&cfg)
	}
	vals := make([]T, len(fs))
	if len(fs) == 0 {
		return Resolved(vals)
	}
	var left atomic.Int64
	left.Store(int64(len(fs)))
	g := &gather[T, []T]{ctx: ctx, srcs: fs, cancelOthers: cfg.cancelOthers}
	return g.run(func(out *Future[[]T], i int, v T, err error) {
		if err != nil {
			out.settle(nil, err)
			return
		}
		vals[i] = v
		// The atomic decrement orders every write to vals before the read by the last one.
		if left.Add(-1) == 0 {
			out.settle(vals, nil)
		}
	})
}

// AllMap is All for a map of futures: it resolves with a map of their values under the same
// keys, and rejects as All does (a nil future's error names its key). It takes the same
// options as AllWith.
func AllMap[K comparable, V any](ctx context.Context, m map[K]*Future[V], opts ...AllOption) *Future[map[K]V] {
	var cfg allConfig
	for _, o := range opts {
		o(&cfg)
	}
	keys := make([]K, 0, len(m))
	fs := make([]*Future[V], 0, len(m))
	for k, f := range m {
		if f == nil {
			if cfg.cancelOthers { // it fails: as when a source rejects
				for _, f := range m {
					if f != nil {
						f.Cancel()
					}
				}
			}
			return Rejected[map[K]V](fmt.Errorf("%w under key %v", ErrNilFuture, k))
		}
		keys = append(keys, k)
		fs = append(fs, f)
	}
	if len(fs) == 0 {
		return Resolved(map[K]V{})
	}
	vals := make([]V, len(fs))
	var left atomic.Int64
	left.Store(int64(len(fs)))
	g := &gather[V, map[K]V]{ctx: ctx, srcs: fs, cancelOthers: cfg.cancelOthers}
	return g.run(func(out *Future[map[K]V], i int, v V, err error) {
		if err != nil {
			out.settle(nil, err)
			return
		}
		vals[i] = v
		if left.Add(-1) == 0 {
			res := make(map[K]V, len(vals))
			for i, v := range vals {
				res[keys[i]] = v
			}
			out.settle(res, nil)
		}
	})
}

// Result is the outcome of one future, as AllSettled reports it.
type Result[T any] struct {
	Value T
	Err   error
}

// AllSettled returns a future of the outcomes of fs, in their order, once every one has
// settled, whether it resolved or rejected. It rejects only when ctx ends first (with ctx's
// error) or when it is cancelled. AllSettled of no futures resolves at once with an empty
// slice. A nil future rejects it with ErrNilFuture.
func AllSettled[T any](ctx context.Context, fs ...*Future[T]) *Future[[]Result[T]] {
	res := make([]Result[T], len(fs))
	if len(fs) == 0 {
		return Resolved(res)
	}
	var left atomic.Int64
	left.Store(int64(len(fs)))
	g := &gather[T, []Result[T]]{ctx: ctx, srcs: fs}
	return g.run(func(out *Future[[]Result[T]], i int, v T, err error) {
		res[i] = Result[T]{Value: v, Err: err}
		if left.Add(-1) == 0 {
			out.settle(res, nil)
		}
	})
}
