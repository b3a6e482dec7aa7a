package lock

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// All returns one Locker over several, for work that needs every one of them (moving money
// between two accounts under both their locks).
//
// Acquire takes the locks in name order, whatever order they were given in, so that two Alls
// over overlapping sets never wait for each other in a cycle; it takes every lock or none:
// on failure it releases what it took and returns the first error. The shortest positive
// blocking window among the locks bounds the whole Acquire (as ctx does), not each lock's
// turn; a NoWait lock is tried once. Release releases every lock and joins their errors.
// Lost closes when any of the holds is lost, at the moment its backend marks it lost, so Do
// works with an All as with one lock. Locked reports whether any of the locks is held, Extend
// extends each in turn and returns the first error, and Fence returns 0: each lock's own
// Fence fences the store it guards.
//
// An All among the locks stands for its own locks. No locks, a nil lock, the same name
// twice, or a lock whose backend cannot report a loss as it happens (see
// lock/driver.LossNotifier) make every call return an ErrInvalid error.
func All(locks ...Locker) Locker {
	a := &allLocker{}
	a.locks, a.err = sortedLocks(locks)
	names := make([]string, len(a.locks))
	for i, l := range a.locks {
		names[i] = l.Name()
	}
	a.name = strings.Join(names, ",")
	return a
}

type allLocker struct {
	locks []Locker // in name order
	err   error    // why the set is unusable, or nil
	name  string   // the names, in order, joined by commas

	mu   sync.Mutex // guards hold, never held while calling a lock
	hold *allHold   // the current or last hold; nil before the first
}

var _ lossNotifier = (*allLocker)(nil)

// sortedLocks checks the set and returns it in name order.
func sortedLocks(locks []Locker) ([]Locker, error) {
	if len(locks) == 0 {
		return nil, invalidf("lock.All: no locks")
	}
	for i, l := range locks {
		if isNil(l) {
			return nil, invalidf("lock.All: lock %d of %d is nil (did NewLock return an error?)", i+1, len(locks))
		}
		if _, ok := l.(lossNotifier); !ok {
			return nil, invalidf("lock.All: lock %q (%T) cannot report a loss as it happens (no AfterLost), so All could not close Lost in time", l.Name(), l)
		}
	}
	// An All given to All stands for its locks: the names are ordered, and each checked
	// for a second appearance, one by one.
	var sorted []Locker
	for _, l := range locks {
		if inner, ok := l.(*allLocker); ok {
			if inner.err != nil {
				return nil, inner.err
			}
			sorted = append(sorted, inner.locks...)
			continue
		}
		sorted = append(sorted, l)
	}
	slices.SortFunc(sorted, func(a, b Locker) int { return cmp.Compare(a.Name(), b.Name()) })
	for i := 1; i < len(sorted); i++ {
		if sorted[i].Name() == sorted[i-1].Name() {
			return nil, invalidf("lock.All: lock %q is given twice (its second Acquire would wait for the first for ever)", sorted[i].Name())
		}
	}
	return sorted, nil
}

// Name returns the names of the locks, in name order, joined by commas.
func (a *allLocker) Name() string { return a.name }

// Acquire takes every lock in name order, or none. See All.
func (a *allLocker) Acquire(ctx context.Context) error {
	if a.err != nil {
		return a.err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("lock %q: acquire: %w", a.name, err)
	}
	window := a.window()
	actx, cancel := ctx, context.CancelFunc(func() {})
	if window > 0 {
		actx, cancel = context.WithTimeoutCause(ctx, window, errWindowEnded)
	}
	defer cancel()
	h := newAllHold()
	for i, l := range a.locks {
		if err := l.Acquire(actx); err != nil {
			h.end()
			return errors.Join(a.windowErr(ctx, actx, window, l, err), a.releaseTaken(ctx, i))
		}
		h.watch(l)
	}
	a.mu.Lock()
	a.hold = h
	a.mu.Unlock()
	return nil
}

// errWindowEnded is the cause of the ctx that bounds an All's Acquire by its blocking window.
var errWindowEnded = errors.New("the blocking window of lock.All ended")

// blockingReporter is implemented by Lockers that say how long their Acquire waits, so that
// All can bound its whole Acquire by the shortest window rather than each lock by its own.
type blockingReporter interface {
	Blocking() time.Duration
}

// window returns the shortest positive blocking window of the locks, or 0 when none has one
// (they all wait until ctx ends, or try once).
func (a *allLocker) window() time.Duration {
	var w time.Duration
	for _, l := range a.locks {
		if r, ok := l.(blockingReporter); ok {
			if d := r.Blocking(); d > 0 && (w == 0 || d < w) {
				w = d
			}
		}
	}
	return w
}

// windowErr turns the error of l's Acquire into ErrNotAcquired when it failed because All's
// own window ended (and not the caller's ctx).
func (a *allLocker) windowErr(ctx, actx context.Context, window time.Duration, l Locker, err error) error {
	if ctx.Err() == nil && errors.Is(context.Cause(actx), errWindowEnded) && errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("lock %q: acquire: %q still held after %v: %w", a.name, l.Name(), window, ErrNotAcquired)
	}
	return err
}

// releaseTaken releases the first n locks, which an Acquire that failed had taken. It runs
// even when ctx has ended, under a deadline of its own, so that nothing stays held.
func (a *allLocker) releaseTaken(ctx context.Context, n int) error {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	var errs []error
	for i := n - 1; i >= 0; i-- {
		if err := a.locks[i].Release(rctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Release releases every lock, in reverse name order, and joins their errors.
func (a *allLocker) Release(ctx context.Context) error {
	if a.err != nil {
		return a.err
	}
	a.mu.Lock()
	h := a.hold
	a.mu.Unlock()
	var errs []error
	for i := len(a.locks) - 1; i >= 0; i-- {
		if err := a.locks[i].Release(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if h != nil {
		h.end()
	}
	return errors.Join(errs...)
}

// releaseAfterLoss releases what the All hold behind lost still has, after one of its
// holds was lost: each lock whose hold is still the one this All hold took (and not lost),
// never one that another Acquire has taken since through the same handle (lock.Do).
func (a *allLocker) releaseAfterLoss(ctx context.Context, lost <-chan struct{}) error {
	a.mu.Lock()
	h := a.hold
	a.mu.Unlock()
	if h == nil || h.lost != lost {
		return nil // a later All hold took every lock since: nothing is left of this one
	}
	h.mu.Lock()
	parts := h.parts
	h.mu.Unlock()
	var errs []error
	for i := len(parts) - 1; i >= 0; i-- {
		if l := a.locks[i]; !isClosed(parts[i]) && l.Lost() == parts[i] {
			if err := l.Release(ctx); err != nil {
				errs = append(errs, err)
			}
		}
	}
	h.end()
	return errors.Join(errs...)
}

// Locked reports whether any of the locks is held, by anyone.
func (a *allLocker) Locked(ctx context.Context) (bool, error) {
	if a.err != nil {
		return false, a.err
	}
	for _, l := range a.locks {
		if held, err := l.Locked(ctx); err != nil || held {
			return held, err
		}
	}
	return false, nil
}

// Extend extends every hold to ttl from now, in name order, and returns the first error.
func (a *allLocker) Extend(ctx context.Context, ttl time.Duration) error {
	if a.err != nil {
		return a.err
	}
	for _, l := range a.locks {
		if err := l.Extend(ctx, ttl); err != nil {
			return err
		}
	}
	return nil
}

// Fence returns 0: an All has no fence of its own; each lock's Fence fences its store.
func (a *allLocker) Fence() uint64 { return 0 }

// Lost returns a channel closed when any hold of the current All hold is lost; nil before
// the first hold.
func (a *allLocker) Lost() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.hold == nil {
		return nil
	}
	return a.hold.lost
}

// AfterLost calls fn when any hold of the current All hold is lost, from the backend's hook.
func (a *allLocker) AfterLost(fn func()) (stop func() bool) {
	a.mu.Lock()
	h := a.hold
	a.mu.Unlock()
	if h == nil {
		return func() bool { return false }
	}
	return h.afterLost(fn)
}
