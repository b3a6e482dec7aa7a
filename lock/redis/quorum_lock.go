package redis

import (
	"context"

	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/driver"
)

// quorumLock is a handle on a named lock of a Quorum. It is safe for concurrent use: like a
// sync.Mutex, a second Acquire on a handle that holds the lock waits until it is released.
type quorumLock struct {
	b *Quorum
	handle[nodeSet]
}

// quorumHold is one acquisition of a quorumLock (hold.go), with what it knows of its nodes.
type quorumHold = holdOf[nodeSet]

// nodeSet is what a hold knows of the nodes of its try.
type nodeSet struct {
	raised <-chan struct{} // closed when the fence was raised on the nodes behind; nil: none
	landed []chan struct{} // closed when each node has answered the try (try.landed)
}

var (
	_ lock.Locker         = (*quorumLock)(nil)
	_ driver.LossNotifier = (*quorumLock)(nil)
)

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
func (l *quorumLock) Acquire(ctx context.Context) error {
	return l.handle.acquire(ctx, func(a *attemptOf[nodeSet]) (*quorumHold, error) {
		return l.contend(&quorumAttempt{attemptOf: a, l: l})
	})
}

// Release frees the lock on every node and wakes the next waiter. It returns when a
// majority has freed it; the other nodes are freed in the background. It returns
// lock.ErrNotHeld unless this handle holds the lock now (and lock.ErrLost, saying why, for a
// hold that was lost), and lock.ErrClosed after Close. A
// ctx that has already ended still frees the keys, under a deadline of its own
// (releaseWait). If a majority cannot be reached the hold is lost all the same (Lost
// closes; the error errors.Is lock.ErrLost): it is no longer renewed, so its keys expire
// within the lease or timeout.
func (l *quorumLock) Release(ctx context.Context) error {
	ctx, cancel := releaseContext(ctx)
	defer cancel()
	h, expired, err := l.handle.beginRelease()
	if err != nil {
		return err
	}
	if h.data.raised != nil {
		// The next holder's fence must be larger: let the raise land first (it has, in
		// all but the shortest holds; each raise is bounded by the node timeout).
		select {
		case <-h.data.raised:
		case <-ctx.Done():
		}
	}
	ok, err := l.runRelease(ctx, h)
	if err := l.handle.endRelease(h, expired, ok, err); err != nil {
		return err
	}
	l.b.wakeHead(l.handle.name) // a waiter of this process need not wait for the message
	return nil
}
