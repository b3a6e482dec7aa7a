package local

import (
	"time"

	"github.com/batonlock/baton/internal/vocab"
	"github.com/batonlock/baton/lock"
)

// beginLocked starts a new hold on l: fresh token, fresh Lost channel, expiry armed if the
// lock has a timeout. s.mu must be held.
func (l *Lock) beginLocked(e *entry, fence uint64) {
	l.e, l.held, l.fence = e, true, fence
	l.lost, l.wasLost, l.lostWhy, l.hooks, l.deadline = nil, false, nil, nil, time.Time{}
	if l.opts.Observer != nil {
		l.since = time.Now()
	}
	if l.opts.Timeout > 0 {
		l.armLocked(l.opts.Timeout)
	}
}

// armLocked makes the current hold expire d from now. s.mu must be held.
func (l *Lock) armLocked(d time.Duration) {
	l.deadline, l.ttl = time.Now().Add(d), d
	if l.timer == nil {
		l.timer = time.AfterFunc(d, l.expire)
	} else {
		l.timer.Reset(d)
	}
}

// expire runs on the timer. The timer is shared by the handle's holds and may fire late, or
// after an Extend moved the deadline, so it acts only if the current hold's own deadline has
// passed: a late timer never frees a newer hold.
func (l *Lock) expire() {
	s := l.sh
	s.mu.Lock()
	if !l.held || l.deadline.IsZero() {
		s.mu.Unlock()
		return
	}
	if left := time.Until(l.deadline); left > 0 {
		l.timer.Reset(left)
		s.mu.Unlock()
		return
	}
	e := l.e
	gone := l.endLocked(vocab.TimeoutEnded(l.ttl))
	s.handOffLocked(e) // may start a new hold of this handle
	s.mu.Unlock()
	gone.report()
}

// endLocked ends the current hold: released when lostWhy is nil, lost because of lostWhy
// otherwise. A lost hold runs its AfterLost hooks and closes its Lost channel here, before
// the caller can hand the name to anyone else; the caller reports it (lostHold.report)
// once s.mu is free. s.mu must be held.
func (l *Lock) endLocked(lostWhy error) lostHold {
	l.e.removeHolder(l)
	l.held, l.e = false, nil
	if !l.deadline.IsZero() {
		l.timer.Stop()
	}
	if lostWhy == nil {
		l.hooks = nil
		return lostHold{}
	}
	gone := lostHold{l: l, fence: l.fence, held: since(l.since), why: lostWhy}
	l.wasLost, l.lostWhy = true, lostWhy
	for _, h := range l.hooks {
		h.fn()
	}
	l.hooks = nil
	if l.lost != nil {
		close(l.lost)
	}
	return gone
}

// lostHold is what a hold that ended without Release was, taken as it ended: by the time
// it is reported the handle may hold again (a waiter of its own took the name).
type lostHold struct {
	l     *Lock // nil: the hold was released, nothing to report
	fence uint64
	held  time.Duration
	why   error
}

// report logs and reports the lost hold. Called without s.mu.
func (g lostHold) report() {
	if g.l == nil {
		return
	}
	vocab.LogLost(g.l.opts.Log(), g.l.name, g.fence, g.why)
	g.l.opts.Notify(lock.Event{Kind: lock.Lost, Name: g.l.name, Fence: g.fence, Duration: g.held, Err: g.why})
}

// AfterLost calls fn when the current hold is lost, from the goroutine that marks it lost
// and before the name is handed to anyone else. See driver.LossNotifier.
func (l *Lock) AfterLost(fn func()) (stop func() bool) {
	s := l.sh
	s.mu.Lock()
	defer s.mu.Unlock()
	if !l.held {
		if l.wasLost {
			fn()
		}
		return func() bool { return false }
	}
	var id uint64
	if n := len(l.hooks); n > 0 {
		id = l.hooks[n-1].id + 1
	}
	l.hooks = append(l.hooks, lossHook{id: id, fn: fn})
	fence := l.fence
	return func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		if l.fence != fence {
			return false
		}
		for i, h := range l.hooks {
			if h.id == id {
				l.hooks = append(l.hooks[:i], l.hooks[i+1:]...)
				return true
			}
		}
		return false
	}
}
