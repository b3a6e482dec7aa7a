package util

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/batonlock/baton/future"
)

// Executor runs functions, somehow and some time: on a Loop, on a worker pool, on a new
// goroutine. Go must not block on fn, and must run every fn it accepts.
type Executor interface {
	Go(fn func())
}

// Loop is an event loop reduced to what Go needs of it: an Executor that runs the
// functions submitted to it one at a time, in submission order, on a goroutine of its own.
// Code that only ever runs on the loop needs no locks for the state it keeps there.
//
// The zero Loop is ready to use; its goroutine starts with the first submission. Close
// stops it. Submitting never blocks: the queue grows as needed. A panic in a function run
// by Go or Submit is not recovered, as in any goroutine; use RunInLoop to get it back as an
// error.
type Loop struct {
	mu      sync.Mutex
	wake    sync.Cond
	queue   []func()
	started bool
	closed  bool
	done    chan struct{} // closed when the goroutine has returned
}

var _ Executor = (*Loop)(nil)

// Submit queues fn to run on the loop. It returns ErrClosed, and never runs fn, once Close
// has been called.
func (l *Loop) Submit(fn func()) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	if !l.started {
		l.started = true
		l.wake.L = &l.mu
		l.done = make(chan struct{})
		go l.run()
	}
	l.queue = append(l.queue, fn)
	l.wake.Signal()
	return nil
}

// Go queues fn to run on the loop. It panics if the loop is closed, as a send on a closed
// channel does: code that may race with Close should call Submit.
func (l *Loop) Go(fn func()) {
	if err := l.Submit(fn); err != nil {
		panic(err)
	}
}

// Close stops accepting functions, waits for those already queued to run, and stops the
// loop's goroutine. It must not be called from a function running on the loop, which would
// wait for itself. A second Close returns nil at once.
func (l *Loop) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	started := l.started
	if started {
		l.wake.Signal()
	}
	l.mu.Unlock()
	if started {
		<-l.done
	}
	return nil
}

func (l *Loop) run() {
	defer close(l.done)
	for {
		l.mu.Lock()
		for len(l.queue) == 0 && !l.closed {
			l.wake.Wait()
		}
		batch := l.queue
		l.queue = nil
		l.mu.Unlock()
		if len(batch) == 0 { // closed, and everything queued has run
			return
		}
		for i, fn := range batch {
			batch[i] = nil // let fn's captures go as soon as it has run
			fn()
		}
	}
}

// RunInLoop runs fn on ex (a *Loop, or any Executor) and
// returns the future of its result. fn gets a child of ctx that the future's Cancel cancels.
//
// The future rejects at once with ctx's error when ctx ends, or with context.Canceled on
// Cancel, even if fn is still queued or running: the executor, not the future, owns the
// goroutine fn runs on (a Loop's Close waits for it). fn is skipped if the future has been
// cancelled, or ctx has ended, by the time it comes up. A panic in fn rejects the future
// with a *future.PanicError and leaves the executor running. If ex has a Submit(func())
// error method, as *Loop has, a refused submission rejects the future with that error
// (ErrClosed for a closed Loop).
func RunInLoop[T any](ctx context.Context, ex Executor, fn func(ctx context.Context) (T, error)) *future.Future[T] {
	if ex == nil {
		return future.Rejected[T](fmt.Errorf("%w: nil Executor", ErrWrongType))
	}
	p, resolve, reject := future.NewPromise[T]()
	ctx, cancel := context.WithCancel(ctx)
	stopCtx := context.AfterFunc(ctx, func() { reject(ctx.Err()) })
	stopCancel := p.AfterFunc(cancel) // Cancel rejects p: stop fn too
	task := func() {
		if _, _, settled := p.Peek(); settled || ctx.Err() != nil {
			return // cancelled, or ctx ended: the future is (or is about to be) rejected
		}
		v, err := callProtected(ctx, fn)
		stopCancel()
		stopCtx()
		cancel()
		if err != nil {
			reject(err)
		} else {
			resolve(v)
		}
	}
	if s, ok := ex.(interface{ Submit(func()) error }); ok {
		if err := s.Submit(task); err != nil {
			stopCancel()
			stopCtx()
			cancel()
			reject(err)
		}
		return p
	}
	ex.Go(task)
	return p
}

// callProtected calls fn, turning a panic into a *future.PanicError so that the executor's
// goroutine survives it.
func callProtected[T any](ctx context.Context, fn func(context.Context) (T, error)) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &future.PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	return fn(ctx)
}
