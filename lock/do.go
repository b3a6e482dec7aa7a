package lock

import (
	"context"
	"reflect"
	"time"
)

// releaseTimeout bounds the Release that Do makes after fn, which runs even when ctx has
// ended (the lock must not be left to expire just because the caller gave up).
const releaseTimeout = 10 * time.Second

// Do acquires l, runs fn while holding it, and releases it afterwards, even if fn panics (the
// panic goes on unwinding after the release, with its original stack). A hold that was lost
// is not released (the handle may hold again by then, for another goroutine); an All releases
// the holds it still has.
//
// fn's ctx is cancelled with cause ErrLost (see context.Cause) the moment the hold is lost,
// before anyone else can hold the lock, so fn can stop writing in time. Do returns the
// Acquire error if the lock was not taken; otherwise fn's error joined with ErrLost when the
// hold was lost, and with any error from Release. When the hold was lost the message starts
// with ErrLost's, once, followed by fn's error ("lock: hold lost: context canceled"); errors.Is
// finds ErrLost, fn's error and the release error. A nil l or fn is an ErrInvalid error.
func Do(ctx context.Context, l Locker, fn func(ctx context.Context) error) (err error) {
	if isNil(l) {
		return invalidf("lock.Do: nil Locker (did NewLock return an error?)")
	}
	if fn == nil {
		return invalidf("lock.Do on %q: nil fn", l.Name())
	}
	if err := l.Acquire(ctx); err != nil {
		return err
	}
	lost := l.Lost()
	fctx, cancel := context.WithCancelCause(ctx)
	stopWatch := watchLoss(l, lost, func() { cancel(ErrLost) })

	defer func() {
		stopWatch()
		wasLost := isClosed(lost)
		cancel(context.Canceled)
		// After a loss the handle may hold again, for another goroutine's Acquire (a handle
		// is safe for concurrent use), and Release would free that hold: a lost hold is not
		// released, and an All releases only the holds it still has (releaseAfterLoss).
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
		var rerr error
		switch r, all := l.(lossReleaser); {
		case !wasLost:
			rerr = l.Release(rctx)
		case all:
			rerr = r.releaseAfterLoss(rctx, lost)
		}
		rcancel()
		err = doError(err, wasLost, rerr)
	}()

	return fn(fctx)
}

// watchLoss calls onLost when the hold behind lost ends. It uses the backend's hook when the
// Locker has one, so that onLost runs while the hold is being marked lost; otherwise it
// watches the channel from a goroutine that stop waits for.
func watchLoss(l Locker, lost <-chan struct{}, onLost func()) (stop func()) {
	if n, ok := l.(lossNotifier); ok {
		s := n.AfterLost(onLost)
		return func() { s() }
	}
	if lost == nil {
		return func() {}
	}
	done := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		select {
		case <-lost:
			onLost()
		case <-done:
		}
	}()
	return func() { close(done); <-exited }
}

// isNil reports whether l is nil, also when it is a nil pointer in a Locker interface (a
// method call on it would panic inside the backend).
func isNil(l Locker) bool {
	if l == nil {
		return true
	}
	v := reflect.ValueOf(l)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

func isClosed(c <-chan struct{}) bool {
	if c == nil {
		return false
	}
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// lossReleaser is a Locker of several holds (All) that, after one of them was lost, can
// release the others it still has.
type lossReleaser interface {
	releaseAfterLoss(ctx context.Context, lost <-chan struct{}) error
}

// lossNotifier is driver.LossNotifier, which this package cannot import: a Locker whose
// backend can run a function at the moment the hold is marked lost.
type lossNotifier interface {
	AfterLost(fn func()) (stop func() bool)
}
