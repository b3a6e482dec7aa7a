package future

import "context"

// Go runs fn on a new goroutine and returns the future of its result. fn receives a child
// of ctx that f.Cancel() cancels; that context is cancelled, to release its resources, as
// soon as fn returns. The goroutine is owned by the future: once the future has settled, fn
// has returned. A panic in fn, or a call to runtime.Goexit, rejects the future with a
// *PanicError or ErrGoexit instead of ending the process or leaving the future pending.
func Go[T any](ctx context.Context, fn func(ctx context.Context) (T, error)) *Future[T] {
	t := &goTask[T]{fn: fn}
	if ctx.Done() == nil {
		// A parent that can never be cancelled (context.Background and the like) needs no
		// propagation: a scope of our own, allocated with the task, is enough, and costs
		// a fraction of context.WithCancel.
		t.scope.Context = ctx
		t.ctx, t.f.cancel = &t.scope, &t.scope
	} else {
		var cancel context.CancelFunc
		t.ctx, cancel = context.WithCancel(ctx)
		t.f.cancel = cancelFunc(cancel)
	}
	go t.run()
	return &t.f
}

// goTask is a Go future together with what its goroutine needs, in one allocation (Go's
// cost over a bare goroutine and channel is mostly allocations).
type goTask[T any] struct {
	f     Future[T]
	ctx   context.Context
	scope scope // fn's ctx when the parent's Done is nil
	fn    func(context.Context) (T, error)
}

func (t *goTask[T]) run() {
	var (
		v        T
		err      error
		returned bool
	)
	defer func() {
		if !returned {
			err = recovered(recover())
		}
		t.f.cancel.cancel()
		t.fn, t.ctx = nil, nil // the future may be kept long after: let fn's captures go
		t.f.settle(v, err)
	}()
	v, err = t.fn(t.ctx)
	returned = true
}

// NewPromise returns a pending future and the two functions that settle it. The first call
// of either wins and returns true; later calls do nothing and return false, so a producer
// can tell whether its result was taken. reject(nil) rejects with ErrNilError. The
// future's Cancel rejects it with context.Canceled, after which resolve and reject return
// false; a producer that wants to stop early can watch Done.
func NewPromise[T any]() (f *Future[T], resolve func(v T) bool, reject func(err error) bool) {
	f = &Future[T]{}
	reject = func(err error) bool {
		if err == nil {
			err = ErrNilError
		}
		var zero T
		return f.settle(zero, err)
	}
	f.cancel = cancelFunc(func() { reject(context.Canceled) })
	resolve = func(v T) bool { return f.settle(v, nil) }
	return f, resolve, reject
}

// Resolved returns a future that has already settled with v.
func Resolved[T any](v T) *Future[T] {
	return &Future[T]{settled: true, val: v}
}

// Rejected returns a future that has already settled with err (ErrNilError if err is nil).
func Rejected[T any](err error) *Future[T] {
	if err == nil {
		err = ErrNilError
	}
	return &Future[T]{settled: true, err: err}
}
