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
	deadline time.Time     // expiry of a timed hold; zero when untimed
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
// backend was closed. A call that gives up leaves the queue at once, and if the lock was
// handed to it in that instant it passes the lock on to the next waiter.
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
	e := s.entryLocked(l.name)
	if e.holder == nil {
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

	s.mu.Lock()
	select {
	case <-w.ready:
		if w.granted && l.held && e.holder == l {
			// Handed to us as we gave up: pass it on rather than swallow the wake-up.
			l.endLocked(false)
			s.handOffLocked(e)
		}
	default:
		e.remove(w)
		if e.holder == nil && e.head == nil {
			s.handOffLocked(e) // forgets the entry
		}
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

// Release frees the lock and hands it to the first waiter. It returns an error wrapping
// lock.ErrNotHeld unless this handle holds the lock now. It never blocks; ctx is unused.
func (l *Lock) Release(_ context.Context) error {
	s := l.sh
	s.mu.Lock()
	if l.b.closed.Load() {
		s.mu.Unlock()
		return errClosed("release", l.name)
	}
	if !l.held {
		s.mu.Unlock()
		return vocab.Err(l.name, "release", lock.ErrNotHeld)
	}
	fence, held := l.fence, since(l.since)
	e := l.e
	l.endLocked(false)
	s.handOffLocked(e)
	s.mu.Unlock()
	l.opts.Notify(lock.Event{Kind: lock.Released, Name: l.name, Fence: fence, Duration: held})
	return nil
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
	return e != nil && e.holder != nil, nil
}

// Extend makes a timed hold expire ttl from now. A hold without a timeout never expires, so
// extending it changes nothing. ttl must be positive.
func (l *Lock) Extend(_ context.Context, ttl time.Duration) error {
	if ttl <= 0 {
		return vocab.BadTTL(l.name, ttl)
	}
	s := l.sh
	s.mu.Lock()
	defer s.mu.Unlock()
	if l.b.closed.Load() {
		return errClosed("extend", l.name)
	}
	if !l.held {
		return vocab.Err(l.name, "extend", lock.ErrNotHeld)
	}
	if !l.deadline.IsZero() {
		l.armLocked(ttl)
	}
	return nil
}

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
