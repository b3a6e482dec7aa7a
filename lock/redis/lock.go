package redis

import (
	"context"
	"time"

	"github.com/batonlock/baton/internal/redisscript"
	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/driver"
)

// Lock is a handle on a named lock of a Backend or a Quorum. It is safe for concurrent use: like a
// sync.Mutex, a second Acquire on a handle that holds the lock waits until it is released.
type Lock struct {
	b     *Backend
	queue redisscript.Queue // the waiters queued on the server
	multi bool              // WithPermits(n > 1) or WithShared: a member of the holders set (multi.go)
	handle
}

var (
	_ lock.Locker         = (*Lock)(nil)
	_ driver.LossNotifier = (*Lock)(nil)
)

// Acquire takes the lock, waiting as WithBlocking says. A waiter sleeps until the holder's
// release is published or the key's TTL runs out, whichever comes first; waiters of this
// process on one name are served in arrival order, and only the first of them talks to Redis.
// Redis errors are retried (with a short backoff) until the blocking window or ctx ends. On
// a Quorum each try goes to every node at once and ends as soon as a majority has
// answered; a try that took fewer than a majority frees what it took.
//
// It returns nil once the lock is held; lock.ErrNotAcquired (joined with the last Redis
// error, if the server could not be reached) when the blocking window ended; an error that
// errors.Is ctx.Err() when ctx ended first; lock.ErrClosed when the backend was closed. On
// error nothing is held: a try whose reply was lost is undone on the server, best effort.
func (l *Lock) Acquire(ctx context.Context) error {
	return l.handle.acquire(ctx, func(a *attemptOf) (*hold, error) {
		if l.multi {
			return l.contendMulti(&attempt{attemptOf: a, l: l})
		}
		return l.contend(&attempt{attemptOf: a, l: l})
	})
}

// Release frees the lock and wakes its next waiter, or passes the lock straight to the
// next waiter of this process when it is asleep, or hands it on the server to the first
// waiter of another process that queued there. It returns lock.ErrNotHeld unless this
// handle holds the lock now (a hold that expired, was lost or was released already); for a
// hold that was lost, the error is lock.ErrLost too and says why (timeout ended, lease not
// renewed in time, key deleted or taken, backend closed); lock.ErrClosed after Close. A ctx that has already ended still frees the key, under a
// deadline of its own (releaseWait). If the server cannot be reached the hold is lost
// all the same (Lost closes; the error errors.Is lock.ErrLost): it is no longer renewed, so
// its key expires within the lease or timeout.
func (l *Lock) Release(ctx context.Context) error {
	ctx, cancel := releaseContext(ctx)
	defer cancel()
	if l.multi {
		return l.releaseMulti(ctx)
	}
	h, expired, err := l.handle.beginRelease()
	if err != nil {
		return err
	}
	if l.b.releasing != nil {
		l.b.releasing(l.handle.name)
	}

	var ok, granted bool
	var o *offer
	var next *waiter
	var othersTurn bool
	if !expired && l.b.nodes.single() {
		next, o, othersTurn = l.b.claimHead(l.handle.name, h)
	}
	switch {
	case o != nil && o.token != "":
		// Passed in memory: the next hold keeps this one's claim on the key.
		ok = true
	case o != nil:
		// A waiter of this process is next: pass it the lock in the same script.
		o.sent = time.Now()
		ok, o.fence, o.clock, err = l.runHandoff(ctx, h, next.token, next.ttl)
		o.ok, o.err = ok, err
		close(o.done)
	default:
		ok, granted, err = l.b.nodes.release(ctx, l, h)
	}

	if err := l.handle.endRelease(h, expired, ok, err); err != nil {
		return err
	}
	if o == nil && (!othersTurn || granted) {
		// A waiter of this process need not wait for the message; and when the lock went
		// to a waiter of another process, it tries at once and queues on the server.
		l.b.wakeHead(l.handle.name)
	}
	return nil
}
