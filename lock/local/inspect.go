package local

import (
	"context"
	"hash/maphash"
	"time"

	"github.com/batonlock/baton/internal/vocab"
	"github.com/batonlock/baton/lock"
)

var _ lock.Inspector = (*Backend)(nil)

// Inspect returns the holds of name now (owner, fence, time left before a timed hold
// expires, shared or not), in the order they began, and how many Acquire calls wait for it.
// A name no one holds or waits on has no holds and no waiters. A bad name is an ErrInvalid
// error; after Close it returns lock.ErrClosed. It never blocks; ctx is unused.
func (b *Backend) Inspect(_ context.Context, name string) (lock.Info, error) {
	if err := lock.ValidateName(name); err != nil {
		return lock.Info{}, err
	}
	if b.closed.Load() {
		return lock.Info{}, vocab.Err(name, "inspect", lock.ErrClosed)
	}
	s := &b.st.shards[maphash.String(b.st.seed, name)%numShards]
	s.mu.Lock()
	defer s.mu.Unlock()
	info := lock.Info{Name: name}
	e := s.names[name]
	if e == nil {
		return info, nil
	}
	now := time.Now()
	info.Waiters = e.waiting
	info.Holds = make([]lock.HoldInfo, len(e.holders))
	for i, h := range e.holders {
		info.Holds[i] = lock.HoldInfo{Owner: h.opts.Owner, Fence: h.fence, TTL: ttlLeft(h.deadline, now), Shared: h.opts.Shared}
	}
	return info, nil
}

// ttlLeft is what is left of a timed hold at now: 0 for a hold that never expires, and at
// least a nanosecond for one whose timer has not fired yet, so that it never reads as
// untimed.
func ttlLeft(deadline, now time.Time) time.Duration {
	if deadline.IsZero() {
		return 0
	}
	return max(deadline.Sub(now), time.Nanosecond)
}
