package redis

import (
	"context"
	"time"

	"github.com/batonlock/baton/internal/vocab"
	"github.com/batonlock/baton/lock"
)

// The rest of a Lock handle (lock.go): the two ends of a Release, what the handle reports
// of its hold, Extend, and the server calls that renew and free a hold.

// TTL is how long an acquisition holds the key: the timeout, or the lease without one.
func (l *Lock) ttl() time.Duration {
	if l.opts.Timeout > 0 {
		return l.opts.Timeout
	}
	return l.b.cfg.lease
}

// beginRelease ends the current hold's timers and bookkeeping, for Release to free its key;
// expired is true when its deadline has passed. It returns lock.ErrNotHeld unless the
// handle holds the lock now, and lock.ErrClosed after Close.
func (l *Lock) beginRelease() (h *hold, expired bool, err error) {
	if l.b.isClosed() {
		return nil, false, l.goneErr("release")
	}
	l.mu.Lock()
	h = l.cur
	if h == nil || h.state != stateActive {
		l.mu.Unlock()
		return nil, false, l.goneErr("release")
	}
	expired = !time.Now().Before(h.deadline)
	h.state = stateReleasing
	h.stopTimers()
	l.mu.Unlock()
	l.b.dropHold(h)
	return h, expired, nil
}

// endRelease ends the Release of h, after the server call that freed its key (ok: the key
// was this hold's; err: the call failed), and frees the handle. It returns nil when h was
// released; when the hold had expired or the key was not its own, vocab.LostErr saying
// which (lock.ErrNotHeld and lock.ErrLost); when the call failed, the server's error
// joined with lock.ErrLost. In all but the first case h is
// lost: its Lost channel closes, rather than the hold ending silently with its key still set.
func (l *Lock) endRelease(h *hold, expired, ok bool, err error) error {
	l.mu.Lock()
	cause := l.releaseCause(h, expired, ok, err)
	var held time.Duration
	if cause != nil {
		held = h.markLost(cause)
	} else {
		h.state = stateReleased
		h.hooks = nil
		held = time.Since(h.start)
	}
	<-l.sem
	l.mu.Unlock()

	switch {
	case cause != nil && err != nil && !expired:
		l.backendError("release", err)
		l.logLost(h, cause)
		return l.releaseError(h, err)
	case cause != nil:
		l.logLost(h, cause)
		return vocab.LostErr(l.name, "release", cause)
	}
	l.opts.Notify(lock.Event{Kind: lock.Released, Name: l.name, Fence: h.fence, Duration: held})
	return nil
}

// Name returns the name the lock was created with.
func (l *Lock) Name() string { return l.name }

// Locked reports whether anyone, through any handle or process, holds the lock now: whether
// its key exists (on a majority of a Quorum's nodes; it is an error when the nodes that
// answered cannot tell).
func (l *Lock) Locked(ctx context.Context) (bool, error) {
	if l.b.isClosed() {
		return false, l.errorf("locked", lock.ErrClosed)
	}
	held, err := l.b.nodes.exists(ctx, l)
	if err != nil {
		l.backendError("locked", err)
		return false, l.errorf("locked", err)
	}
	return held, nil
}

// Extend makes the current hold last ttl from now (on a majority of a Quorum's nodes). A
// hold without a timeout keeps being renewed afterwards, and its key never gets less than
// the lease. It returns lock.ErrInvalid for ttl <= 0 and lock.ErrNotHeld when the hold is
// gone (with lock.ErrLost and why, when it was lost); on a server error, or when no
// majority answers, the hold is left as it was, except that an Extend that would have
// shortened it shortens its deadline: the write may have landed.
func (l *Lock) Extend(ctx context.Context, ttl time.Duration) error {
	if err := vocab.BadTTL(l.name, ttl); err != nil {
		return err
	}
	if l.b.isClosed() {
		return l.goneErr("extend")
	}
	h := l.activeHold()
	if h == nil {
		return l.goneErr("extend")
	}
	h.op.Lock()
	defer h.op.Unlock()
	if l.activeHold() != h {
		return l.goneErr("extend") // released, passed on or lost while this call waited
	}
	if h.leased {
		ttl = max(ttl, h.ttl)
	}
	sent := time.Now()
	ok, err := l.renew(ctx, h.token, ttl)
	if err != nil {
		l.extendUnanswered(h, sent, ttl)
		l.backendError("extend", err)
		return l.errorf("extend", err)
	}
	if !ok {
		l.lose(h, vocab.ErrTaken, false)
		return l.goneErr("extend")
	}
	l.mu.Lock()
	if h.state != stateActive || !time.Now().Before(h.deadline) {
		l.mu.Unlock()
		return l.goneErr("extend")
	}
	defer l.mu.Unlock()
	h.deadline = l.b.cfg.deadline(sent, ttl)
	h.confirmed, h.keyTTL = sent, ttl
	h.until = sent.Add(ttl)
	h.armExpiry()
	return nil
}

// extendUnanswered records an Extend of h, sent at sent for ttl, that got no reply: it may
// have set the key's TTL, or may yet. When that would end the key before the hold's
// deadline, the hold takes the shorter deadline: Lost must close before the key can expire.
func (l *Lock) extendUnanswered(h *hold, sent time.Time, ttl time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	h.unsure = true
	if d := l.b.cfg.deadline(sent, ttl); h.state == stateActive && d.Before(h.deadline) {
		h.deadline = d
		h.confirmed, h.keyTTL, h.until = sent, ttl, sent.Add(ttl)
		h.armExpiry()
	}
}

// Fence returns the fencing token of the current or last hold, 0 before the first; on a
// Quorum, the largest of the fences the nodes of its majority handed out.
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

// AfterLost implements driver.LossNotifier: fn runs, under the handle's lock, at the moment
// the current hold is marked lost (before its key can expire on the server, or on a
// majority of the nodes).
func (l *Lock) AfterLost(fn func()) (stop func() bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.cur
	if h == nil || h.state == stateReleased || h.state == stateReleasing {
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

// activeHold returns the current hold if it is active and before its deadline; nil otherwise.
func (l *Lock) activeHold() *hold {
	l.mu.Lock()
	defer l.mu.Unlock()
	if h := l.cur; h != nil && h.state == stateActive && time.Now().Before(h.deadline) {
		return h
	}
	return nil
}

// renew runs the compare-and-PEXPIRE of token for ttl (on a majority of a Quorum's nodes);
// false: token no longer holds it.
func (l *Lock) renew(ctx context.Context, token string, ttl time.Duration) (bool, error) {
	if l.multi {
		return l.extendMulti(ctx, token, ttl)
	}
	return l.b.nodes.extend(ctx, l, token, ttl)
}

// free runs the compare-and-delete of h's key for Close (closeHolds).
func (l *Lock) free(ctx context.Context, h *hold) error {
	if l.multi {
		return l.freeMulti(ctx, h)
	}
	return l.b.nodes.free(ctx, l, h)
}

// errorf wraps err, from operation op, with the lock's name, as every backend does.
func (l *Lock) errorf(op string, err error) error {
	return vocab.Err(l.name, op, err)
}

// BackendError reports a failed server call to the observer and the log.
func (l *Lock) backendError(op string, err error) {
	l.opts.Notify(lock.Event{Kind: lock.BackendError, Name: l.name, Op: op, Err: err})
	vocab.LogBackendError(l.opts.Log(), l.name, op, err)
}
