package redis

import (
	"time"

	"github.com/batonlock/baton/internal/vocab"
	"github.com/batonlock/baton/lock"
)

// How a hold is lost (PROTOCOL.md, "Holds"): marked, reported, and its handle freed.

// lose marks h lost, when it is still active (and, if onlyExpired, past its deadline): it
// closes Lost, runs the AfterLost hooks and frees the handle. It reports whether it did.
func (l *Lock) lose(h *hold, cause error, onlyExpired bool) bool {
	l.mu.Lock()
	if h.state != stateActive || (onlyExpired && time.Now().Before(h.deadline)) {
		l.mu.Unlock()
		return false
	}
	h.markLost(cause)
	<-l.sem
	l.mu.Unlock()
	l.b.dropHold(h)
	l.logLost(h, cause)
	l.b.wakeHead(l.name) // the key is gone, or will be within the drift margin
	return true
}

// markUnsure records that a write of h got no reply: it may still reach the server.
func (h *hold) markUnsure() {
	h.of.mu.Lock()
	h.unsure = true
	h.of.mu.Unlock()
}

// quiet reports whether h may be passed on in memory, the next hold keeping its token on
// the key (PROTOCOL.md, "In-process pass"): no renewal or Extend of h is in flight, and
// none got no reply. Either could set the key's TTL after the next hold set its own, under
// the same token. When quiet returns true the caller holds h.op, and must unlock it once
// the pass is made: a renewal or Extend that starts then finds the hold no longer active.
func (h *hold) quiet() bool {
	if !h.op.TryLock() {
		return false
	}
	h.of.mu.Lock()
	unsure := h.unsure
	h.of.mu.Unlock()
	if unsure {
		h.op.Unlock()
		return false
	}
	return true
}

// markLost reports the loss, closes Lost and runs the AfterLost hooks, in that order, so
// that whoever sees Lost closed also finds the event; of.mu is held.
func (h *hold) markLost(cause error) (held time.Duration) {
	l := h.of
	h.state, h.cause = stateLost, cause
	h.stopTimers()
	held = time.Since(h.start)
	l.opts.Notify(lock.Event{Kind: lock.Lost, Name: l.name, Fence: h.fence, Duration: held, Err: cause})
	close(h.lost)
	for _, fn := range h.hooks {
		fn()
	}
	h.hooks = nil
	return held
}

func (l *Lock) logLost(h *hold, cause error) {
	vocab.LogLost(l.opts.Log(), l.name, h.fence, cause)
}

// expiredCause says why a hold that reached its deadline is lost.
func (h *hold) expiredCause() error {
	if h.leased {
		return vocab.ErrNotRenewed
	}
	return vocab.TimeoutEnded(h.ttl)
}
