package quorum

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/batonlock/baton/lock"
)

// Why a hold was lost (Event.Err, log records).
var (
	errTaken      = errors.New("the key was deleted or taken by another owner on a majority of the nodes")
	errNotRenewed = errors.New("the lease was not renewed on a majority of the nodes before its safe deadline")
)

type holdState int

const (
	active holdState = iota
	releasing
	released
	stateLost
)

// hold is one acquisition: its token, its fence, and the deadline past which it counts as
// lost: the time the acquisition (or the last renewal) was sent plus the TTL, minus the
// drift margin, so Lost closes before the keys can expire on a majority.
type hold struct {
	l      *Lock
	token  string
	fence  uint64
	leased bool          // no timeout: renewed until Release
	ttl    time.Duration // the lease or the timeout
	start  time.Time
	lost   chan struct{}
	raised <-chan struct{} // closed when the fence was raised on the nodes behind; nil: none
	landed []chan struct{} // closed when each node has answered the try (try.landed)
	op     sync.Mutex      // one renewal or Extend at a time

	// guarded by l.mu
	state    holdState
	deadline time.Time
	until    time.Time   // Extend asked for the hold to last until then
	expiry   *time.Timer // fires at the deadline
	renewal  *time.Timer // fires when the lease is due for renewal; nil with a timeout
	hooks    map[int]func()
	nextHook int
}

// newHold records the hold the successful try t (with token, for ttl) made and starts
// keeping it alive.
func (l *Lock) newHold(token string, ttl time.Duration, t try) (*hold, error) {
	sent := t.sent
	h := &hold{
		raised:   t.raised,
		landed:   t.landed,
		l:        l,
		token:    token,
		fence:    t.fence,
		leased:   l.opts.Timeout == 0,
		ttl:      ttl,
		start:    time.Now(),
		lost:     make(chan struct{}),
		deadline: l.b.cfg.Deadline(sent, ttl),
	}
	l.mu.Lock()
	ok := l.b.addHold(h)
	if ok {
		l.cur = h
		h.expiry = time.AfterFunc(time.Until(h.deadline), h.expired)
		if h.leased {
			h.renewal = time.AfterFunc(l.b.cfg.NextRenewal(h.ttl, sent), h.renewDue)
		}
	}
	l.mu.Unlock()
	if !ok {
		return nil, l.errorf("acquire", lock.ErrClosed)
	}
	return h, nil
}

// expired runs at the deadline: the hold is lost unless Extend or a renewal moved it.
func (h *hold) expired() {
	l := h.l
	if !l.b.enter(1) {
		return
	}
	defer l.b.wg.Done()
	if !l.lose(h, h.expiredCause(), true) {
		h.rearm(-1)
	}
}

// renewDue runs one renewal and schedules the next.
func (h *hold) renewDue() {
	l := h.l
	if !l.b.enter(1) {
		return
	}
	defer l.b.wg.Done()
	if next, ended := h.renew(); !ended {
		h.rearm(next)
	}
}

// rearm sets the expiry timer to the deadline and, if next >= 0, the renewal timer to next.
func (h *hold) rearm(next time.Duration) {
	h.l.mu.Lock()
	defer h.l.mu.Unlock()
	if h.state != active {
		return
	}
	h.expiry.Reset(time.Until(h.deadline))
	if next >= 0 && h.renewal != nil {
		h.renewal.Reset(next)
	}
}

// stopTimers ends the hold's timers; l.mu is held and the hold is no longer active.
func (h *hold) stopTimers() {
	h.expiry.Stop()
	if h.renewal != nil {
		h.renewal.Stop()
	}
}

// renew extends the hold on a majority and returns when to renew next; ended is true when
// the hold is over.
func (h *hold) renew() (next time.Duration, ended bool) {
	l := h.l
	h.op.Lock()
	defer h.op.Unlock()
	l.mu.Lock()
	if h.state != active {
		l.mu.Unlock()
		return 0, true
	}
	deadline := h.deadline
	ttl := max(h.ttl, time.Until(h.until))
	l.mu.Unlock()

	// A majority that answers after the deadline is no use: the hold is lost by then.
	ctx, cancel := context.WithDeadline(l.b.ctx, deadline)
	sent := time.Now()
	ok, err := l.runExtend(ctx, h.token, ttl)
	cancel()
	switch {
	case err == nil && ok:
		l.mu.Lock()
		if h.state == active {
			h.deadline = l.b.cfg.Deadline(sent, ttl)
		}
		l.mu.Unlock()
		return l.b.cfg.NextRenewal(h.ttl, sent), false
	case err == nil:
		l.lose(h, errTaken, false)
		return 0, true
	case l.b.isClosed():
		return 0, true // Close marks the hold lost
	}
	l.backendError("renew", err)
	if l.lose(h, fmt.Errorf("%w: %w", errNotRenewed, err), true) {
		return 0, true
	}
	return min(max(time.Until(deadline)/4, minRetry), l.b.cfg.RenewEvery(h.ttl)), false
}

// lose marks h lost, when it is still active (and, if onlyExpired, past its deadline): it
// closes Lost, runs the AfterLost hooks and frees the handle. It reports whether it did.
func (l *Lock) lose(h *hold, cause error, onlyExpired bool) bool {
	l.mu.Lock()
	if h.state != active || (onlyExpired && time.Now().Before(h.deadline)) {
		l.mu.Unlock()
		return false
	}
	held := h.markLost(cause)
	<-l.sem
	l.mu.Unlock()
	l.b.dropHold(h)
	l.logLost(h, held, cause)
	l.b.wakeHead(l.name)
	return true
}

// markLost reports the loss, closes Lost and runs the AfterLost hooks, in that order, so
// that whoever sees Lost closed also finds the event; l.mu is held.
func (h *hold) markLost(cause error) (held time.Duration) {
	h.state = stateLost
	h.stopTimers()
	held = time.Since(h.start)
	h.l.opts.Notify(lock.Event{Kind: lock.Lost, Name: h.l.name, Fence: h.fence, Duration: held, Err: cause})
	close(h.lost)
	for _, fn := range h.hooks {
		fn()
	}
	h.hooks = nil
	return held
}

func (l *Lock) logLost(h *hold, held time.Duration, cause error) {
	l.opts.Log().Warn("baton: lock hold lost", "lock", l.name, "fence", h.fence, "held", held, "cause", cause)
}

func (h *hold) expiredCause() error {
	if h.leased {
		return errNotRenewed
	}
	return fmt.Errorf("the timeout of %v ended", h.ttl)
}
