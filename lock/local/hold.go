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
	l.endLocked(vocab.TimeoutEnded(l.ttl))
	s.handOffLocked(e)
	s.mu.Unlock()
	l.reportLost()
}

// endLocked ends the current hold: released when lostWhy is nil, lost because of lostWhy
// otherwise. A lost hold runs its AfterLost hooks and closes its Lost channel here, before
// the caller can hand the name to anyone else. s.mu must be held.
func (l *Lock) endLocked(lostWhy error) {
	l.e.removeHolder(l)
	l.held, l.e = false, nil
	if !l.deadline.IsZero() {
		l.timer.Stop()
	}
	if lostWhy == nil {
		l.hooks = nil
		return
	}
	l.wasLost, l.lostWhy = true, lostWhy
	for _, h := range l.hooks {
		h.fn()
	}
	l.hooks = nil
	if l.lost != nil {
		close(l.lost)
	}
}

// reportLost logs and reports a hold that ended without Release. Called without s.mu.
func (l *Lock) reportLost() {
	l.sh.mu.Lock()
	fence, held, why := l.fence, since(l.since), l.lostWhy
	l.sh.mu.Unlock()
	vocab.LogLost(l.opts.Log(), l.name, fence, why)
	l.opts.Notify(lock.Event{Kind: lock.Lost, Name: l.name, Fence: fence, Duration: held, Err: why})
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
