package redis

import (
	"time"

	"github.com/batonlock/baton/internal/vocab"
	"github.com/batonlock/baton/lock"
)

// goneErr is what operation op (Release, Extend) returns when the handle holds nothing
// active: for a hold that was lost, vocab.LostErr with its cause (timeout ended, lease not
// renewed, key deleted or taken, backend closed), so that a caller can tell "expired" from
// "taken" (redsync #107, #143); for a hold that was released, or none, lock.ErrNotHeld;
// after Close, lock.ErrClosed. A hold found past its deadline whose expiry timer has not
// fired yet is marked lost here, so the answer does not depend on which runs first.
func (l *Lock) goneErr(op string) error {
	l.mu.Lock()
	h := l.cur
	overdue := h != nil && h.state == stateActive && !time.Now().Before(h.deadline)
	l.mu.Unlock()
	if overdue {
		l.lose(h, h.expiredCause(), true)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case h != nil && h.state == stateLost && h.cause != nil:
		return vocab.LostErr(l.name, op, h.cause)
	case l.b.isClosed():
		return l.errorf(op, lock.ErrClosed)
	}
	return l.errorf(op, lock.ErrNotHeld)
}
