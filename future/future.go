package future

import (
	"context"
	"sync"
)

// Future is a result that arrives later. It settles exactly once, with a value or with an
// error; every later attempt to settle it is ignored. Its methods are safe for concurrent
// use. Make one with Go, NewPromise, Resolved, Rejected or a combinator: the zero Future is
// not usable.
type Future[T any] struct {
	mu      sync.Mutex
	settled bool
	val     T
	err     error
	// done is made on demand by Done, so that futures only ever composed through
	// callbacks (most of a Then chain, the inputs of All) never allocate a channel.
	done    chan struct{}
	waiters []*waiter
	// cancel is what Cancel does; nil when there is nothing to stop. It is set before the
	// future is shared and never changes. An interface rather than a func, so that the
	// types behind it (*stage, *scope) need no method-value allocation.
	cancel canceler
}

// canceler is what Cancel calls.
type canceler interface{ cancel() }

// cancelFunc adapts a func to canceler; a func is pointer-shaped, so the conversion does
// not allocate.
type cancelFunc func()

func (c cancelFunc) cancel() { c() }

// waiter is a callback registered on a pending future. idx is its position in waiters, so
// that unsubscribing is O(1) however many callbacks a long-lived future collects.
type waiter struct {
	fn  func()
	idx int
}

// closedChan is what Done returns for a future that settled before anyone asked.
var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// Await waits for f to settle and returns its value and error. If ctx ends first, Await
// returns the zero value and an error that errors.Is ctx.Err() (joined with ctx's cancel
// cause, if it has one); f and the work behind it are left running, and f can be awaited
// again. To stop the work, call Cancel. A future that has settled is returned as is, even if
// ctx has already ended.
func (f *Future[T]) Await(ctx context.Context) (T, error) {
	f.mu.Lock()
	if f.settled {
		v, err := f.val, f.err
		f.mu.Unlock()
		return v, err
	}
	if f.done == nil {
		f.done = make(chan struct{})
	}
	done := f.done
	f.mu.Unlock()
	if ctx.Done() == nil { // context.Background and the like: a plain receive is cheaper
		<-done
		return f.val, f.err
	}
	select {
	case <-done:
		// settle wrote val and err before closing done: no lock needed to read them.
		return f.val, f.err
	case <-ctx.Done():
		var zero T
		return zero, ctxErr(ctx)
	}
}

// Done returns a channel that is closed when f settles, for use in select statements.
func (f *Future[T]) Done() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done == nil {
		if f.settled {
			return closedChan
		}
		f.done = make(chan struct{})
	}
	return f.done
}

// Peek returns f's value and error and true if f has settled, or the zero value, nil and
// false if it has not. It never blocks. The flag comes last, as in a map lookup: err is the
// future's outcome, not a failure of Peek.
func (f *Future[T]) Peek() (T, error, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.settled {
		var zero T
		return zero, nil, false
	}
	return f.val, f.err, true
}

// Cancel asks the work behind f to stop; it returns at once. For a future made by Go it
// cancels the context handed to the function, and f settles when the function returns (with
// whatever it returns, typically ctx's error). For a stage (Then, AndThen, Recover, Handle)
// whose callback is running it cancels the callback's context in the same way (and if the
// callback then returns a future, the stage does not wait for it: it rejects with
// context.Canceled, as it would have had Cancel come a moment later). A future that
// is only waiting (a promise, a stage whose source or inner future has not settled, an
// aggregate) rejects at once with context.Canceled. Cancel never cancels the sources of a
// stage (they may have other consumers), nor those of an aggregate unless it was made with
// CancelOthers. Cancel on a settled future, or on one made by Resolved or Rejected, does
// nothing.
func (f *Future[T]) Cancel() {
	if f.cancel != nil {
		f.cancel.cancel()
	}
}

// AfterFunc arranges to call fn on a goroutine of its own once f settles, as
// context.AfterFunc does for a context; if f has settled already, fn starts at once. Calling
// the returned stop unregisters fn: it returns true if that kept fn from being started, and
// false if fn has been started or stop was called before. As with context.AfterFunc, fn runs
// outside any future: a panic in it is not caught (there is no future to report it to). A
// nil fn is never called; stop then returns false.
func (f *Future[T]) AfterFunc(fn func()) (stop func() bool) {
	if fn == nil {
		return func() bool { return false }
	}
	w := f.onSettle(func() { go fn() })
	return func() bool { return f.unsubscribe(w) }
}

// settle records the outcome, runs the callbacks registered so far on this goroutine, and
// then wakes Done: so by the time Await returns, an aggregate has let go of its sources. It
// reports whether this call settled f.
func (f *Future[T]) settle(v T, err error) bool {
	f.mu.Lock()
	if f.settled {
		f.mu.Unlock()
		return false
	}
	f.settled, f.val, f.err = true, v, err
	ws, done := f.waiters, f.done
	f.waiters = nil
	f.mu.Unlock()
	for _, w := range ws {
		w.fn()
	}
	if done != nil {
		close(done)
	}
	return true
}

// isSettled reports whether f has settled, without copying its value.
func (f *Future[T]) isSettled() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.settled
}

// onSettle calls fn once f settles: at once, on this goroutine, if it has; otherwise on the
// goroutine that settles it. fn must be quick and must not block, since it runs inside
// settle. The returned handle is for unsubscribe; it is nil when fn has already run.
func (f *Future[T]) onSettle(fn func()) *waiter {
	f.mu.Lock()
	if f.settled {
		f.mu.Unlock()
		fn()
		return nil
	}
	w := &waiter{fn: fn, idx: len(f.waiters)}
	f.waiters = append(f.waiters, w)
	f.mu.Unlock()
	return w
}

// unsubscribe removes w so that it is never called, and reports whether it did. Consumers
// that stop caring about f (a decided aggregate, a cancelled stage) call it, so that a
// long-lived future does not collect their callbacks.
func (f *Future[T]) unsubscribe(w *waiter) bool {
	if w == nil {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	i := w.idx
	if i >= len(f.waiters) || f.waiters[i] != w {
		return false
	}
	last := len(f.waiters) - 1
	f.waiters[i] = f.waiters[last]
	f.waiters[i].idx = i
	f.waiters[last] = nil
	f.waiters = f.waiters[:last]
	return true
}
