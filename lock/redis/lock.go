package redis

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/batonlock/baton/internal/redisscript"
	"github.com/batonlock/baton/lock"
)

// Lock is a handle on a named lock of a Backend. It is safe for concurrent use: like a
// sync.Mutex, a second Acquire on a handle that holds the lock waits until it is released.
type Lock struct {
	b                      *Backend
	name                   string
	key, fenceKey, channel string
	queue                  redisscript.Queue // the waiters queued on the server
	opts                   lock.Options
	sem                    chan struct{} // full while an Acquire or a hold owns the handle

	mu  sync.Mutex
	cur *hold // the current or last hold
}

var (
	_ lock.Locker       = (*Lock)(nil)
	_ lock.LossNotifier = (*Lock)(nil)
)

// Name returns the name the lock was created with.
func (l *Lock) Name() string { return l.name }

// Acquire takes the lock, waiting as WithBlocking says. A waiter sleeps until the holder's
// release is published or the key's TTL runs out, whichever comes first; waiters of this
// process on one name are served in arrival order, and only the first of them talks to Redis.
// Redis errors are retried (with a short backoff) until the blocking window or ctx ends.
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

// Release frees the lock and wakes its next waiter, or passes the lock straight to the
// next waiter of this process when it is asleep, or hands it on the server to the first
// waiter of another process that queued there. It returns lock.ErrNotHeld unless this
// handle holds the lock now (a hold that expired, was lost or was released already), and
// lock.ErrClosed after Close. If the server cannot be reached the hold ends here all the
// same: it is no longer renewed, so its key expires within the lease or timeout.
func (l *Lock) Release(ctx context.Context) error {
	if l.b.isClosed() {
		return l.errorf("release", lock.ErrClosed)
	}
	l.mu.Lock()
	h := l.cur
	if h == nil || h.state != active {
		l.mu.Unlock()
		return l.errorf("release", lock.ErrNotHeld)
	}
	expired := !time.Now().Before(h.deadline)
	h.state = releasing
	h.stopTimers()
	l.mu.Unlock()
	l.b.dropHold(h)

	var ok, granted bool
	var err error
	var o *offer
	var next *waiter
	var othersTurn bool
	if !expired {
		next, o, othersTurn = l.b.claimHead(l.name, h)
	}
	switch {
	case o != nil && o.token != "":
		// Passed in memory: the next hold keeps this one's claim on the key.
		ok = true
	case o != nil:
		// A waiter of this process is next: pass it the lock in the same script.
		o.sent = time.Now()
		ok, o.fence, err = l.runHandoff(ctx, h.token, next.token, next.ttl)
		o.ok, o.err = ok, err
		close(o.done)
	default:
		var res redisscript.Released
		res, err = l.runRelease(ctx, h.token, h.ttl, false)
		ok, granted = res != redisscript.NotHeld, res == redisscript.Granted
	}

	l.mu.Lock()
	lost := expired || (err == nil && !ok)
	cause := errTaken
	if expired {
		cause = h.expiredCause()
	}
	var held time.Duration
	if lost {
		held = h.markLost(cause)
	} else {
		h.state = released
		h.hooks = nil
		held = time.Since(h.start)
	}
	<-l.sem
	l.mu.Unlock()

	switch {
	case lost:
		l.logLost(h, held, cause)
		return l.errorf("release", lock.ErrNotHeld)
	case err != nil:
		l.backendError("release", err)
		return l.errorf("release", err)
	}
	l.opts.Notify(lock.Event{Kind: lock.Released, Name: l.name, Fence: h.fence, Duration: held})
	if o == nil && (!othersTurn || granted) {
		// A waiter of this process need not wait for the message; and when the lock went
		// to a waiter of another process, it tries at once and queues on the server.
		l.b.wakeHead(l.name)
	}
	return nil
}

// Locked reports whether anyone, through any handle or process, holds the lock now.
func (l *Lock) Locked(ctx context.Context) (bool, error) {
	if l.b.isClosed() {
		return false, l.errorf("locked", lock.ErrClosed)
	}
	n, err := l.b.client.Exists(ctx, l.key).Result()
	if err != nil {
		l.backendError("locked", err)
		return false, l.errorf("locked", err)
	}
	return n > 0, nil
}

// Extend makes the current hold last ttl from now. A hold without a timeout keeps being
// renewed afterwards, and its key never gets less than the lease. It returns lock.ErrInvalid
// for ttl <= 0 and lock.ErrNotHeld when the hold is gone; on a Redis error the hold is left
// as it was.
func (l *Lock) Extend(ctx context.Context, ttl time.Duration) error {
	if ttl <= 0 {
		return lock.Invalidf("lock %q: extend by %v: the ttl must be positive", l.name, ttl)
	}
	if l.b.isClosed() {
		return l.errorf("extend", lock.ErrClosed)
	}
	h := l.activeHold()
	if h == nil {
		return l.errorf("extend", lock.ErrNotHeld)
	}
	h.op.Lock()
	defer h.op.Unlock()
	if h.leased {
		ttl = max(ttl, h.ttl)
	}
	sent := time.Now()
	ok, err := l.runExtend(ctx, h.token, ttl)
	if err != nil {
		l.backendError("extend", err)
		return l.errorf("extend", err)
	}
	if !ok {
		l.lose(h, errTaken, false)
		return l.errorf("extend", lock.ErrNotHeld)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if h.state != active || !time.Now().Before(h.deadline) {
		return l.errorf("extend", lock.ErrNotHeld)
	}
	h.deadline = l.b.cfg.Deadline(sent, ttl)
	h.confirmed, h.keyTTL = sent, ttl
	h.until = sent.Add(ttl)
	h.expiry.Reset(time.Until(h.deadline))
	return nil
}

// Fence returns the fencing token of the current or last hold, 0 before the first.
func (l *Lock) Fence() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cur == nil {
		return 0
	}
	return l.cur.fence
}

// Lost returns the channel closed when the current hold ends without Release: nil before
// the first hold; after a clean Release it stays open.
func (l *Lock) Lost() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cur == nil {
		return nil
	}
	return l.cur.lost
}

// AfterLost implements lock.LossNotifier: fn runs, under the handle's lock, at the moment
// the current hold is marked lost (before its key can expire on the server).
func (l *Lock) AfterLost(fn func()) (stop func() bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.cur
	if h == nil || h.state == released || h.state == releasing {
		return func() bool { return false }
	}
	if h.state == stateLost {
		fn()
		return func() bool { return false }
	}
	id := h.nextHook
	h.nextHook++
	if h.hooks == nil {
		h.hooks = make(map[int]func())
	}
	h.hooks[id] = fn
	return func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		_, ok := h.hooks[id]
		delete(h.hooks, id)
		return ok
	}
}

func (l *Lock) activeHold() *hold {
	l.mu.Lock()
	defer l.mu.Unlock()
	if h := l.cur; h != nil && h.state == active && time.Now().Before(h.deadline) {
		return h
	}
	return nil
}

func (l *Lock) errorf(op string, err error) error {
	return fmt.Errorf("redis lock %q: %s: %w", l.name, op, err)
}

func (l *Lock) backendError(op string, err error) {
	l.opts.Notify(lock.Event{Kind: lock.BackendError, Name: l.name, Op: op, Err: err})
	l.opts.Log().Warn("baton: redis call failed", "lock", l.name, "op", op, "err", err)
}
