package quorum

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/batonlock/baton/lock"
)

// Lock is a handle on a named lock of a Backend. It is safe for concurrent use: like a
// sync.Mutex, a second Acquire on a handle that holds the lock waits until it is released.
type Lock struct {
	b                      *Backend
	name                   string
	key, fenceKey, channel string
	opts                   lock.Options
	sem                    chan struct{} // full while an Acquire or a hold owns the handle

	mu  sync.Mutex
	cur *hold // the current or last hold
}

var (
	_ lock.Locker       = (*Lock)(nil)
	_ lock.LossNotifier = (*Lock)(nil)
)

// Name returns the name the lock was created with.
func (l *Lock) Name() string { return l.name }

// Acquire takes the lock on a majority of the nodes, waiting as WithBlocking says. Each try
// goes to every node at once and ends as soon as a majority has answered; a try that took
// fewer than a majority frees what it took. A waiter sleeps until a release is published on
// some node or the holder's TTL runs out; waiters of this process on one name are served in
// arrival order, and only the first of them talks to the nodes.
//
// It returns nil once the lock is held; lock.ErrNotAcquired (joined with the node errors of
// the last try, when a majority could not be reached) when the blocking window ended; an
// error that errors.Is ctx.Err() when ctx ended first; lock.ErrClosed when the backend was
// closed. On error nothing is held: what a try took is freed in the background, best effort.
func (l *Lock) Acquire(ctx context.Context) error {
	start := time.Now()
	h, err := l.acquire(ctx, start)
	if err != nil {
		l.opts.Notify(lock.Event{Kind: lock.NotAcquired, Name: l.name, Duration: time.Since(start), Err: err})
		return err
	}
	l.opts.Notify(lock.Event{Kind: lock.Acquired, Name: l.name, Fence: h.fence, Duration: h.start.Sub(start)})
	return nil
}

// Release frees the lock on every node and wakes the next waiter. It returns when a
// majority has freed it; the other nodes are freed in the background. It returns
// lock.ErrNotHeld unless this handle holds the lock now, and lock.ErrClosed after Close. If
// a majority cannot be reached the hold ends here all the same: it is no longer renewed, so
// its keys expire within the lease or timeout.
func (l *Lock) Release(ctx context.Context) error {
	if l.b.isClosed() {
		return l.errorf("release", lock.ErrClosed)
	}
	l.mu.Lock()
	h := l.cur
	if h == nil || h.state != active {
		l.mu.Unlock()
		return l.errorf("release", lock.ErrNotHeld)
	}
	expired := !time.Now().Before(h.deadline)
	h.state = releasing
	h.stopTimers()
	l.mu.Unlock()
	l.b.dropHold(h)

	if h.raised != nil {
		// The next holder's fence must be larger: let the raise land first (it has, in
		// all but the shortest holds; each raise is bounded by the node timeout).
		select {
		case <-h.raised:
		case <-ctx.Done():
		}
	}
	ok, err := l.runRelease(ctx, h)

	l.mu.Lock()
	lost := expired || (err == nil && !ok)
	cause := errTaken
	if expired {
		cause = h.expiredCause()
	}
	var held time.Duration
	if lost {
		held = h.markLost(cause)
	} else {
		h.state = released
		h.hooks = nil
		held = time.Since(h.start)
	}
	<-l.sem
	l.mu.Unlock()

	switch {
	case lost:
		l.logLost(h, held, cause)
		return l.errorf("release", lock.ErrNotHeld)
	case err != nil:
		l.backendError("release", err)
		return l.errorf("release", err)
	}
	l.opts.Notify(lock.Event{Kind: lock.Released, Name: l.name, Fence: h.fence, Duration: held})
	l.b.wakeHead(l.name) // a waiter of this process need not wait for the message
	return nil
}

// Locked reports whether anyone, through any handle or process, holds the lock now: whether
// its key exists on a majority of the nodes. It is an error when the nodes that answered
// cannot tell.
func (l *Lock) Locked(ctx context.Context) (bool, error) {
	if l.b.isClosed() {
		return false, l.errorf("locked", lock.ErrClosed)
	}
	held, err := l.runExists(ctx)
	if err != nil {
		l.backendError("locked", err)
		return false, l.errorf("locked", err)
	}
	return held, nil
}

// Extend makes the current hold last ttl from now, on a majority of the nodes. A hold
// without a timeout keeps being renewed afterwards, and its keys never get less than the
// lease. It returns lock.ErrInvalid for ttl <= 0 and lock.ErrNotHeld when the hold is gone;
// when a majority cannot be reached the hold is left as it was.
func (l *Lock) Extend(ctx context.Context, ttl time.Duration) error {
	if ttl <= 0 {
		return lock.Invalidf("lock %q: extend by %v: the ttl must be positive", l.name, ttl)
	}
	if l.b.isClosed() {
		return l.errorf("extend", lock.ErrClosed)
	}
	h := l.activeHold()
	if h == nil {
		return l.errorf("extend", lock.ErrNotHeld)
	}
	h.op.Lock()
	defer h.op.Unlock()
	if h.leased {
		ttl = max(ttl, h.ttl)
	}
	sent := time.Now()
	ok, err := l.runExtend(ctx, h.token, ttl)
	if err != nil {
		l.backendError("extend", err)
		return l.errorf("extend", err)
	}
	if !ok {
		l.lose(h, errTaken, false)
		return l.errorf("extend", lock.ErrNotHeld)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if h.state != active || !time.Now().Before(h.deadline) {
		return l.errorf("extend", lock.ErrNotHeld)
	}
	h.deadline = l.b.cfg.Deadline(sent, ttl)
	h.until = sent.Add(ttl)
	h.expiry.Reset(time.Until(h.deadline))
	return nil
}

// Fence returns the fencing token of the current or last hold, 0 before the first: the
// largest of the fences the nodes of its majority handed out.
func (l *Lock) Fence() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cur == nil {
		return 0
	}
	return l.cur.fence
}

// Lost returns the channel closed when the current hold ends without Release: nil before
// the first hold; after a clean Release it stays open.
func (l *Lock) Lost() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cur == nil {
		return nil
	}
	return l.cur.lost
}

// AfterLost implements lock.LossNotifier: fn runs, under the handle's lock, at the moment
// the current hold is marked lost (before its keys can expire on a majority).
func (l *Lock) AfterLost(fn func()) (stop func() bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.cur
	if h == nil || h.state == released || h.state == releasing {
		return func() bool { return false }
	}
	if h.state == stateLost {
		fn()
		return func() bool { return false }
	}
	id := h.nextHook
	h.nextHook++
	if h.hooks == nil {
		h.hooks = make(map[int]func())
	}
	h.hooks[id] = fn
	return func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		_, ok := h.hooks[id]
		delete(h.hooks, id)
		return ok
	}
}

func (l *Lock) activeHold() *hold {
	l.mu.Lock()
	defer l.mu.Unlock()
	if h := l.cur; h != nil && h.state == active && time.Now().Before(h.deadline) {
		return h
	}
	return nil
}

func (l *Lock) errorf(op string, err error) error {
	return fmt.Errorf("quorum lock %q: %s: %w", l.name, op, err)
}

func (l *Lock) backendError(op string, err error) {
	l.opts.Notify(lock.Event{Kind: lock.BackendError, Name: l.name, Op: op, Err: err})
	l.opts.Log().Warn("baton: quorum call failed", "lock", l.name, "op", op, "err", err)
}
