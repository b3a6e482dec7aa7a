package redis

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/batonlock/baton/internal/vocab"
	"github.com/batonlock/baton/lock"
)

// State is where a hold is in its life.
type holdState int

// The states of a hold.
const (
	stateActive holdState = iota
	stateReleasing
	stateReleased
	stateLost
)

// retryFloor is the shortest pause before a renewal that failed with a server error is
// tried again.
const retryFloor = 10 * time.Millisecond

// hold is one acquisition: its token, its fence, and the deadline past which it counts as
// lost. The deadline is the server's expiry seen from this process (the time the request
// was sent plus the TTL) minus the drift margin, so Lost closes before the key can expire.
type hold struct {
	of     *Lock
	token  string
	fence  uint64
	leased bool          // no timeout: renewed until Release
	ttl    time.Duration // the lease or the timeout
	start  time.Time
	clock  clock    // what it knows of the server clock (PROTOCOL.md, "Fences")
	nodes  *nodeSet // on N nodes: what it knows of them; nil on one node
	lost   chan struct{}
	op     sync.Mutex // one renewal or Extend at a time

	// guarded by of.mu
	state     holdState
	deadline  time.Time
	confirmed time.Time     // when the last write that set the key's TTL was sent
	keyTTL    time.Duration // the TTL it set: TTL or more, or less for a grant
	until     time.Time     // Extend asked for the hold to last until then
	expiry    *time.Timer   // fires at the deadline; nil until a lease's first renewal
	renewal   *time.Timer   // fires when the lease is due for renewal; nil with a timeout
	hooks     map[int]func()
	nextHook  int
	cause     error // why the hold was lost (stateLost), for Release and Extend to say
	// unsure: a renewal or Extend of the hold got no reply, and may still set the key's
	// TTL: the hold is not passed on in memory (quiet).
	unsure bool
}

// newHold (PROTOCOL.md, "Holds") records the hold a successful try made and starts keeping it alive: the write
// sent at sent set the key's TTL to keyTTL (ttl, but for a grant). After Close it frees
// the key (Close has already freed the holds it knew) and returns lock.ErrClosed.
func (l *Lock) newHold(token string, fence uint64, ttl time.Duration, sent time.Time, keyTTL time.Duration, c clock) (*hold, error) {
	return l.newHoldOn(nil, token, fence, ttl, sent, keyTTL, c, false)
}

// adoptHold is newHold for a hold that begins on a key whose TTL a write made for another
// purpose set: a grant's, or the old hold's after a pass in memory (PROTOCOL.md, "Holds",
// first renewal). A hold with a timeout sets its own TTL at once, in the background, so
// that the timeout counts from when the hold began; until that write is confirmed its
// deadline is the sooner of the two.
func (l *Lock) adoptHold(token string, fence uint64, ttl time.Duration, sent time.Time, keyTTL time.Duration, c clock) (*hold, error) {
	return l.newHoldOn(nil, token, fence, ttl, sent, keyTTL, c, true)
}

// newHoldOn is newHold for a hold on nodes (nil: on one node), adopted or not.
func (l *Lock) newHoldOn(nodes *nodeSet, token string, fence uint64, ttl time.Duration, sent time.Time, keyTTL time.Duration, c clock, adopted bool) (*hold, error) {
	h := &hold{
		of:        l,
		nodes:     nodes,
		token:     token,
		fence:     fence,
		leased:    l.opts.Timeout == 0,
		ttl:       ttl,
		start:     time.Now(),
		clock:     c,
		lost:      make(chan struct{}),
		deadline:  l.b.cfg.deadline(sent, keyTTL),
		confirmed: sent,
		keyTTL:    keyTTL,
	}
	firstRenewal := adopted && !h.leased
	if firstRenewal {
		h.until = h.start.Add(ttl)
		h.deadline = minTime(h.deadline, l.b.cfg.deadline(h.start, ttl))
	}
	l.mu.Lock()
	ok := l.b.addHold(h)
	if ok {
		l.cur = h
		// Timers, not a goroutine per hold: a hold that is released before its first
		// renewal costs no scheduling at all. A lease whose renewal is due before its
		// deadline arms the expiry timer when the renewal starts (renewDue): until then
		// the deadline cannot pass, and a hold released before that costs one timer, not
		// two. Each timer started costs the Go runtime a wake-up of an idle thread.
		if h.leased {
			next := l.b.cfg.nextRenewal(min(h.ttl, keyTTL), sent)
			h.renewal = time.AfterFunc(next, h.renewDue)
			if next >= time.Until(h.deadline) {
				h.armExpiry()
			}
		} else {
			h.armExpiry()
			if firstRenewal {
				h.renewal = time.AfterFunc(0, h.renewDue)
			}
		}
	}
	l.mu.Unlock()
	if !ok {
		// Close has begun and freed the holds it knew; this one, a try, pass or grant that
		// came in meanwhile, it did not. Free its key too (best effort, as Close does), or
		// it stays taken by nobody for its TTL.
		ctx, cancel := context.WithTimeout(context.Background(), releaseWait)
		defer cancel()
		_ = l.free(ctx, h)
		return nil, l.errorf("acquire", lock.ErrClosed)
	}
	return h, nil
}

// expired runs at the deadline: the hold is lost unless Extend or a renewal moved it.
func (h *hold) expired() {
	l := h.of
	if !l.b.enter() {
		return
	}
	defer l.b.wg.Done()
	if !l.lose(h, h.expiredCause(), true) {
		h.rearm(-1)
	}
}

// renewDue runs one renewal and schedules the next.
func (h *hold) renewDue() {
	l := h.of
	if !l.b.enter() {
		return
	}
	defer l.b.wg.Done()
	h.rearm(-1) // the deadline can pass while the renewal waits for its reply
	if next, ended := h.renew(); !ended {
		h.rearm(next)
	}
}

// rearm sets the expiry timer to the deadline and, if next >= 0, the renewal timer to next.
func (h *hold) rearm(next time.Duration) {
	h.of.mu.Lock()
	defer h.of.mu.Unlock()
	if h.state != stateActive {
		return
	}
	h.armExpiry()
	if next >= 0 && h.renewal != nil {
		h.renewal.Reset(next)
	}
}

// armExpiry sets the expiry timer to the deadline, and starts it the first time; of.mu is
// held.
func (h *hold) armExpiry() {
	if h.expiry == nil {
		h.expiry = time.AfterFunc(time.Until(h.deadline), h.expired)
		return
	}
	h.expiry.Reset(time.Until(h.deadline))
}

// stopTimers ends the hold's timers; of.mu is held and the hold is no longer active.
func (h *hold) stopTimers() {
	if h.expiry != nil {
		h.expiry.Stop()
	}
	if h.renewal != nil {
		h.renewal.Stop()
	}
}

// renew runs one renewal and returns when to run the next one (< 0: none, a hold with a
// timeout has its TTL); ended is true when the hold is over.
func (h *hold) renew() (next time.Duration, ended bool) {
	l := h.of
	h.op.Lock()
	defer h.op.Unlock()
	l.mu.Lock()
	if h.state != stateActive {
		l.mu.Unlock()
		return 0, true
	}
	deadline := h.deadline
	ttl := time.Until(h.until) // a hold with a timeout: its first renewal (adoptHold)
	if h.leased {
		ttl = max(h.ttl, ttl)
	}
	l.mu.Unlock()
	if ttl < time.Millisecond {
		return -1, false // past its deadline, or all but: the expiry ends it
	}

	// A reply that comes after the deadline is no use: the hold is lost by then.
	ctx, cancel := context.WithDeadline(l.b.ctx, deadline)
	sent := time.Now()
	ok, err := l.renew(ctx, h.token, ttl)
	cancel()
	switch {
	case err == nil && ok:
		l.mu.Lock()
		if h.state == stateActive {
			h.deadline = l.b.cfg.deadline(sent, ttl)
			h.confirmed, h.keyTTL = sent, ttl
		}
		l.mu.Unlock()
		if !h.leased {
			return -1, false // a timeout's one renewal: its TTL is set
		}
		return l.b.cfg.nextRenewal(h.ttl, sent), false
	case err == nil:
		l.lose(h, vocab.ErrTaken, false)
		return 0, true
	case l.b.isClosed():
		return 0, true // Close marks the hold lost
	}
	h.markUnsure()
	l.backendError("renew", err)
	if l.lose(h, fmt.Errorf("%w: %w", vocab.ErrNotRenewed, err), true) {
		return 0, true
	}
	return min(max(time.Until(deadline)/4, retryFloor), l.b.cfg.renewEvery(h.ttl)), false
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
