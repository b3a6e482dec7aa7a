package redis

import (
	"time"

	"github.com/batonlock/baton/lock"
)

// State reports how much per-name state the backend keeps in the process: wait queues,
// registered holds and pub/sub channels. Tests use it to check that nothing is left behind.
func (b *Backend) State() (queues, holds, channels int) { return b.state() }

func (b *Backend) state() (queues, holds, channels int) {
	b.mu.Lock()
	queues, holds = len(b.queues), len(b.holds)
	b.mu.Unlock()
	for _, s := range b.subs {
		s.mu.Lock()
		channels += len(s.channels)
		s.mu.Unlock()
	}
	return
}

// Parked reports whether the head waiter on name sleeps between tries, so that a Release
// of this process can pass it the lock.
func (b *Backend) Parked(name string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	q := b.queues[name]
	return q != nil && len(q.waiters) > 0 && q.waiters[0].parked
}

// Claimed reports how many holds were taken on a grant's message, with no try.
func (b *Backend) Claimed() int64 { return b.claimed.Load() }

// Passed reports how many permits were taken on the reply to a Release of this process,
// with no try (PROTOCOL.md, "Permit hand-off").
func (b *Backend) Passed() int64 { return b.passed.Load() }

// ParseGrant reads a grant message's payload after "granted ".
func ParseGrant(s string) (token string, try, fence, clock uint64, ok bool) {
	g, ok := parseGrant(s)
	if !ok {
		return "", 0, 0, 0, false
	}
	return g.token, g.try, g.fence, g.clock, true
}

// Claims reports whether a waiter of b holds on a grant for try: its last answered try that
// queued on the server (if queued) was last, sent at sent, with a grant TTL of grantTTL.
func Claims(b *Backend, queued bool, last uint64, sent time.Time, grantTTL time.Duration, try uint64) bool {
	a := &attempt{l: &Lock{b: b}, queued: queued, last: last, sent: sent, grant: grantTTL}
	return a.claims(&grant{try: try})
}

// QuorumState is State for a Quorum: its channels summed over the nodes.
func QuorumState(b *Quorum) (queues, holds, channels int) { return b.state() }

// ReleaseWait is how long a Release whose ctx had ended, or Close, waits for the server.
const ReleaseWait = releaseWait

// ReleaseContext is the ctx a Release runs its server call under.
var ReleaseContext = releaseContext

// Lease is the lease arithmetic of a backend made with opts: the drift margin and safe
// deadline of a ttl-long hold, and when a lease renewed at sent is due again.
func Lease(opts ...Option) (margin func(time.Duration) time.Duration, deadline func(time.Time, time.Duration) time.Time, renewEvery func(time.Duration) time.Duration, next func(time.Duration, time.Time) time.Duration) {
	c := defaultConfig()
	for _, o := range opts {
		o(&c)
	}
	return c.margin, c.deadline, c.renewEvery, c.nextRenewal
}

// Waiting reports how many Acquire calls of this process wait for name.
func (b *Backend) Waiting(name string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if q := b.queues[name]; q != nil {
		return len(q.waiters)
	}
	return 0
}

// OnReleasing makes fn run in every Release of b after the hold was taken out of the
// process's index of holds and before the lock is passed on or freed. Set it before b is
// used.
func (b *Backend) OnReleasing(fn func(name string)) { b.releasing = fn }

// OnDropping sets the hook that runs when an Acquire ends, between the start of its undo and
// the end of its record for Close.
func (b *Backend) OnDropping(fn func(name string)) { b.dropping = fn }

// OnClosing sets the hook that runs in Close before it waits for the tries in flight that
// may queue a token on the server.
func (b *Backend) OnClosing(fn func()) { b.closing = fn }

// WaiterQueues reports whether a waiting Acquire on b (a *Backend or a *Quorum), for a name
// not held in this process, queues on the server from its second try.
func WaiterQueues(b lock.Backend) bool {
	var bk *Backend
	switch b := b.(type) {
	case *Backend:
		bk = b
	case *Quorum:
		bk = &b.backend
	}
	a := &attempt{l: &Lock{b: bk}}
	return a.queues()
}

// Subscribed reports on how many of b's nodes channel is subscribed: its SUBSCRIBE was
// queued, and no UNSUBSCRIBE since (confirmed or not).
func Subscribed(lb lock.Backend, channel string) (n int) {
	var b *Backend
	switch x := lb.(type) {
	case *Backend:
		b = x
	case *Quorum:
		b = &x.backend
	}
	for _, s := range b.subs {
		s.mu.Lock()
		if sub := s.channels[channel]; sub != nil && sub.live {
			n++
		}
		s.mu.Unlock()
	}
	return n
}
