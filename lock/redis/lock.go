package redis

import (
	"context"
	"sync"
	"time"

	"github.com/batonlock/baton/internal/redisscript"
	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/driver"
)

// Lock is a handle on a named lock of a Backend or a Quorum. It is safe for concurrent use: like a
// sync.Mutex, a second Acquire on a handle that holds the lock waits until it is released.
// The fields are set once, by NewLock, but mu and cur.
type Lock struct {
	b                      *Backend
	name                   string
	key, fenceKey, channel string            // the lock key, its fence counter, its channel (PROTOCOL.md, "Keys")
	queue                  redisscript.Queue // the waiters queued on the server
	opts                   driver.Options
	multi                  bool          // WithPermits(n > 1) or WithShared: a member of the holders set (multi.go)
	sem                    chan struct{} // full while an Acquire or a hold owns the handle

	mu  sync.Mutex
	cur *hold // the current or last hold
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
	start := time.Now()
	h, err := l.acquire(ctx, start)
	if err != nil {
		l.opts.Notify(lock.Event{Kind: lock.NotAcquired, Name: l.name, Duration: time.Since(start), Err: err})
		return err
	}
	l.opts.Notify(lock.Event{Kind: lock.Acquired, Name: l.name, Fence: h.fence, Duration: h.start.Sub(start)})
	return nil
}

// acquire runs the attempt of one Acquire call that began at start: it takes the
// handle (begin), lets contend or contendMulti wait for and take the lock, and ends the
// attempt with the outcome. A failed attempt frees the handle.
func (l *Lock) acquire(ctx context.Context, start time.Time) (h *hold, err error) {
	a, err := l.begin(ctx, start)
	if err != nil {
		return nil, err
	}
	defer func() { a.end(err) }()
	if l.multi {
		return a.contendMulti()
	}
	return a.contend()
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
	h, expired, err := l.beginRelease()
	if err != nil {
		return err
	}
	if l.b.releasing != nil {
		l.b.releasing(l.name)
	}

	var ok, granted bool
	var o *offer
	var next *waiter
	var othersTurn bool
	if !expired && l.b.nodes.single() {
		next, o, othersTurn = l.claimHead(h)
	}
	switch {
	case o != nil && o.token != "":
		// Passed in memory: the next hold keeps this one's claim on the key.
		ok = true
	case o != nil:
		ok, err = l.passByScript(ctx, h, next, o)
	default:
		ok, granted, err = l.b.nodes.release(ctx, l, h)
	}

	if err := l.endRelease(h, expired, ok, err); err != nil {
		return err
	}
	if o == nil && (!othersTurn || granted) {
		// A waiter of this process need not wait for the message; and when the lock went
		// to a waiter of another process, it tries at once and queues on the server.
		l.b.wakeHead(l.name)
	}
	return nil
}

// claimHead is Backend.claimHead for the Release of h, which may pass in memory only when
// h is quiet (hold.quiet).
func (l *Lock) claimHead(h *hold) (next *waiter, o *offer, othersTurn bool) {
	quiet := h.quiet()
	next, o, othersTurn = l.b.claimHead(l.name, h, quiet)
	if quiet {
		h.op.Unlock()
	}
	return next, o, othersTurn
}

// passByScript passes the lock from h to next, the parked head of this process, in one
// script (handoff.lua), and settles o with the outcome; ok is false when h no longer held
// the key. When next gave the offer up meanwhile (awaitOffer), it frees what it passed.
func (l *Lock) passByScript(ctx context.Context, h *hold, next *waiter, o *offer) (ok bool, err error) {
	o.sent = time.Now()
	ok, o.fence, o.clock, err = l.runHandoff(ctx, h, next.token, next.ttl)
	o.ok, o.err = ok, err
	if l.b.doneOffer(o) && ok {
		_ = l.withdrawToken(ctx, next.token)
	}
	return ok, err
}
