package local

import (
	"context"
	"time"

	"github.com/batonlock/baton/internal/vocab"
	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/driver"
)

// Lock is a handle on a named lock of a local Backend. It is safe for concurrent use; like a
// sync.Mutex, a second Acquire on a handle that holds the lock waits for it.
//
// A handle has at most one hold at a time (its Acquires exclude each other), so the hold's
// state lives in the handle itself: a lock/unlock cycle allocates nothing.
type Lock struct {
	b    *Backend
	sh   *shard // the part of the backend's store that keeps this name
	name string
	opts driver.Options

	// The current (or last) hold, guarded by s.mu.
	e        *entry        // the name's entry while held
	held     bool          // the hold is current: not released, expired or lost
	fence    uint64        // the hold's fencing token, also its owner token
	lost     chan struct{} // made on demand by Lost
	wasLost  bool          // the hold ended without Release
	lostWhy  error         // why the hold ended without Release, when wasLost
	deadline time.Time     // expiry of a timed hold; zero when untimed
	ttl      time.Duration // the timeout, or the ttl of the last Extend, of a timed hold
	timer    *time.Timer   // expiry timer, reused across holds
	hooks    []lossHook    // AfterLost callbacks of the hold
	since    time.Time     // when the hold began, only kept for an Observer
}

type lossHook struct {
	id uint64
	fn func()
}

var (
	_ lock.Locker         = (*Lock)(nil)
	_ driver.LossNotifier = (*Lock)(nil)
)

// closedChan is what Lost returns for a hold that was lost before anyone asked.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// Name returns the lock's name.
func (l *Lock) Name() string { return l.name }

// Acquire takes the lock, waiting in arrival order behind earlier callers as WithBlocking
// allows. It returns nil when held; an error wrapping lock.ErrNotAcquired when the blocking
// window ended; one that errors.Is ctx's error when ctx ended first; lock.ErrClosed when the
// backend was closed; lock.ErrInvalid when the name is in use with another WithPermits. A
// call that gives up leaves the queue at once, and if the lock was handed to it in that
// instant it passes the lock on to the next waiter.
func (l *Lock) Acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return vocab.Err(l.name, "acquire", err)
	}
	var start time.Time
	if l.opts.Observer != nil {
		start = time.Now()
	}
	s := l.sh
	s.mu.Lock()
	if l.b.closed.Load() {
		s.mu.Unlock()
		return errClosed("acquire", l.name)
	}
	e := s.entryLocked(l.name, l.opts.Permits)
	if e.permits != l.opts.Permits {
		theirs := e.permits
		s.mu.Unlock()
		return l.giveUp(start, vocab.PermitsDisagree(l.name, l.opts.Permits, theirs))
	}
	if e.head == nil && e.admits(l) {
		s.grantLocked(e, l)
		fence := l.fence
		s.mu.Unlock()
		l.opts.Notify(lock.Event{Kind: lock.Acquired, Name: l.name, Fence: fence})
		return nil
	}
	if l.opts.Blocking == lock.NoWait {
		s.mu.Unlock()
		return l.giveUp(start, vocab.NotAcquired(l.name, lock.NoWait, nil))
	}
	w := &waiter{l: l, ready: make(chan struct{})}
	e.push(w)
	s.mu.Unlock()
	l.opts.Notify(lock.Event{Kind: lock.Waiting, Name: l.name})
	return l.wait(ctx, e, w, start)
}

// wait blocks until w is granted, ctx ends or the blocking window ends.
func (l *Lock) wait(ctx context.Context, e *entry, w *waiter, start time.Time) error {
	var window <-chan time.Time
	if l.opts.Blocking > 0 {
		t := time.NewTimer(l.opts.Blocking)
		defer t.Stop()
		window = t.C
	}
	var cause error
	select {
	case <-w.ready:
		return l.woken(w, start)
	case <-ctx.Done():
		cause = vocab.Err(l.name, "acquire", ctx.Err())
	case <-window:
		cause = vocab.NotAcquired(l.name, l.opts.Blocking, nil)
	}

	s := l.sh
	s.mu.Lock()
	select {
	case <-w.ready:
		if w.granted && l.held && l.e == e {
			// Handed to us as we gave up: pass it on rather than swallow the wake-up.
			l.endLocked(nil)
			s.handOffLocked(e)
		}
	default:
		e.remove(w)
		// Leaving may admit those behind: readers queued behind a writer that gave up.
		s.handOffLocked(e)
	}
	s.mu.Unlock()
	return l.giveUp(start, cause)
}

func (l *Lock) woken(w *waiter, start time.Time) error {
	if w.err != nil {
		return l.giveUp(start, vocab.Err(l.name, "acquire", w.err))
	}
	if l.opts.Observer != nil {
		l.opts.Notify(lock.Event{Kind: lock.Acquired, Name: l.name, Fence: l.Fence(), Duration: since(start)})
	}
	return nil
}

func (l *Lock) giveUp(start time.Time, err error) error {
	l.opts.Notify(lock.Event{Kind: lock.NotAcquired, Name: l.name, Duration: since(start), Err: err})
	return err
}

// Release frees the lock and admits the waiters its hold kept out. It returns an error
// wrapping lock.ErrNotHeld unless this handle holds the lock now; when the hold was lost, the
// error also wraps lock.ErrLost and says why. It never blocks; ctx is unused.
func (l *Lock) Release(_ context.Context) error {
	s := l.sh
	s.mu.Lock()
	if err := l.notHeldLocked("release"); err != nil {
		s.mu.Unlock()
		return err
	}
	fence, held := l.fence, since(l.since)
	e := l.e
	l.endLocked(nil)
	s.handOffLocked(e)
	s.mu.Unlock()
	l.opts.Notify(lock.Event{Kind: lock.Released, Name: l.name, Fence: fence, Duration: held})
	return nil
}

// notHeldLocked returns the error of op on a handle that holds nothing now, or nil when it
// holds the lock. A lost hold says why it was lost (its timeout ended, the backend closed),
// so a caller can tell "I released it twice" from "it was taken from me". s.mu must be held.
func (l *Lock) notHeldLocked(op string) error {
	switch {
	case l.held:
		return nil
	case l.wasLost:
		return vocab.LostErr(l.name, op, l.lostWhy)
	case l.b.closed.Load():
		return errClosed(op, l.name)
	}
	return vocab.Err(l.name, op, lock.ErrNotHeld)
}

// Locked reports whether any handle holds the lock now.
func (l *Lock) Locked(_ context.Context) (bool, error) {
	s := l.sh
	s.mu.Lock()
	defer s.mu.Unlock()
	if l.b.closed.Load() {
		return false, errClosed("locked", l.name)
	}
	e := s.names[l.name]
	return e != nil && len(e.holders) > 0, nil
}

// Extend makes a timed hold expire ttl from now. A hold without a timeout never expires, so
// extending it changes nothing. ttl must be at least lock.MinTimeout.
func (l *Lock) Extend(_ context.Context, ttl time.Duration) error {
	if err := vocab.BadTTL(l.name, ttl); err != nil {
		return err
	}
	s := l.sh
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := l.notHeldLocked("extend"); err != nil {
		return err
	}
	if !l.deadline.IsZero() {
		l.armLocked(ttl)
	}
	return nil
}

// Blocking returns the lock's blocking window (WithBlocking), which lock.All reads to bound
// its whole Acquire by the shortest window of its locks.
func (l *Lock) Blocking() time.Duration { return l.opts.Blocking }

// Fence returns the fencing token of the current or last hold, 0 before the first.
func (l *Lock) Fence() uint64 {
	l.sh.mu.Lock()
	defer l.sh.mu.Unlock()
	return l.fence
}

// Lost returns a channel closed when the current hold ends without Release: nil before the
// first hold, never closed for a hold that was released.
func (l *Lock) Lost() <-chan struct{} {
	l.sh.mu.Lock()
	defer l.sh.mu.Unlock()
	switch {
	case l.fence == 0:
		return nil
	case l.lost != nil:
		return l.lost
	case l.wasLost:
		return closedChan
	}
	l.lost = make(chan struct{})
	return l.lost
}
