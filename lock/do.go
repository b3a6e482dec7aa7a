package lock

import (
	"context"
	"errors"
	"time"
)

// releaseTimeout bounds the Release that Do makes after fn, which runs even when ctx has
// ended (the lock must not be left to expire just because the caller gave up).
const releaseTimeout = 10 * time.Second

// Do acquires l, runs fn while holding it, and releases it afterwards, even if fn panics (the
// panic goes on unwinding after the release, with its original stack).
//
// fn's ctx is cancelled with cause ErrLost (see context.Cause) the moment the hold is lost,
// before anyone else can hold the lock, so fn can stop writing in time. Do returns the
// Acquire error if the lock was not taken; otherwise fn's error joined with ErrLost when the
// hold was lost, and with any error from Release.
func Do(ctx context.Context, l Locker, fn func(ctx context.Context) error) (err error) {
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
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
		rerr := l.Release(rctx)
		rcancel()
		if wasLost {
			err = errors.Join(err, ErrLost)
			if errors.Is(rerr, ErrNotHeld) {
				rerr = nil // expected: ErrLost already says why
			}
		}
		err = errors.Join(err, rerr)
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

// lossNotifier is driver.LossNotifier, which this package cannot import: a Locker whose
// backend can run a function at the moment the hold is marked lost.
type lossNotifier interface {
	AfterLost(fn func()) (stop func() bool)
}
