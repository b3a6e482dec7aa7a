package redis

import (
	"context"
	"crypto/rand"
	"errors"
	"time"

	"github.com/batonlock/baton/internal/redisscript"
	"github.com/batonlock/baton/lock"
)

// Backoff between tries that failed with a Redis error.
const (
	minRetry = 10 * time.Millisecond
	maxRetry = time.Second
)

// undoWait bounds each step of an undo: the wait for the try's pipeline, and the release.
const undoWait = time.Second

var errNoAnswer = errors.New("redis did not answer before the blocking window ended")

// attempt is one Acquire call (attemptOf: what ends its waits, and why it failed),
// with the waiter's place in the lock's queue on the server (scripts.go).
type attempt struct {
	*attemptOf[clock]
	l      *Lock
	tries  uint64        // tries sent, which number them
	queued bool          // a try put the waiter's token in the queue
	last   uint64        // the last try that wrote its entry and was answered
	sent   time.Time     // when that try was sent
	grant  time.Duration // the TTL a grant gives the key
}

// contend waits for the turn of this Acquire among the process's waiters on the name, then
// tries Redis until it gets the lock or the attempt ends.
func (l *Lock) contend(a *attempt) (h *hold, err error) {
	w := l.b.enqueue(l.core.name)
	defer func() {
		var took time.Duration
		if h != nil {
			took = h.ttl
		}
		l.b.dequeue(l.core.name, l.channel, w, took)
	}()
	if err := a.waitTurn(w.turn); err != nil {
		return nil, err
	}

	ttl := l.core.ttl()
	token := rand.Text() // 128 random bits, fresh for every acquisition
	unsure := false      // a try may have taken the lock (or queued) without our knowing
	leased := l.core.opts.Timeout == 0
	grant, refresh, life := queueTimes(ttl)
	a.grant = grant
	defer func() {
		if err != nil && unsure {
			l.b.undo(l, token)
		}
	}()
	// When the name's channel was confirmed before the first try, no release after that
	// try can go unheard, so there is no need to subscribe and try again.
	subscribed := l.b.confirmed(l.core.name, l.channel)
	if w.after > 0 && subscribed {
		// The waiter before this one has just taken the lock: its Release will pass the
		// lock here, wake this waiter or publish, so sleep at once instead of trying.
		a.waiting()
		if h, done, err := l.nap(a, w, token, ttl, w.after+time.Millisecond, &unsure); done {
			return h, err
		}
	}
	var backoff time.Duration
	for {
		select {
		case <-w.wake: // this try covers any release heard so far
		default:
		}
		// A waiter that holds without a timeout queues on the server from its second try,
		// so that a lock free at once costs no more than a plain try. It does not queue
		// behind a hold of this process, whose Release passes it the lock in memory.
		var wait *redisscript.Wait
		if a.tries > 0 && a.queues(leased) {
			wait = &redisscript.Wait{Life: life, Try: a.tries + 1, Grant: grant}
			if !a.queued {
				// Before the try: Close withdraws the tokens it finds recorded.
				if !l.b.queue(l, token) {
					return nil, a.fail(lock.ErrClosed)
				}
				defer l.b.unqueue(token)
			}
		}
		a.tries++
		sent := time.Now()
		t, err := l.tryAcquire(a.tryCtx, token, ttl, wait)
		heard := time.Now()
		if wait != nil {
			a.queued, unsure = true, true // if not by this try, then by the one before
		}
		switch {
		case err != nil && a.ctx.Err() != nil:
			unsure = true
			return nil, a.fail(a.ctx.Err())
		case err != nil && a.tryCtx.Err() != nil:
			// Cut short by the window: keep the last real error, not the window's deadline.
			unsure = true
			if a.lastErr == nil {
				a.lastErr = errNoAnswer
			}
			return nil, a.fail(lock.ErrNotAcquired)
		case err != nil:
			unsure = true
			a.lastErr = err
			l.core.backendError("acquire", err)
			if a.noWait {
				return nil, a.fail(lock.ErrNotAcquired)
			}
			backoff = min(max(2*backoff, minRetry), maxRetry)
			if err := a.sleep(nil, backoff); err != nil {
				return nil, err
			}
			continue
		case t.OK:
			return l.core.newHold(token, t.Fence, ttl, sent, ttl, clock{server: t.Clock, at: heard})
		}
		if wait != nil {
			a.last, a.sent = a.tries, sent
		}
		a.lastErr, backoff = nil, 0
		if a.noWait {
			return nil, a.fail(lock.ErrNotAcquired)
		}
		a.waiting()
		sleep := l.b.cfg.lease // the key has no TTL: someone else's, set by hand
		if t.PTTL >= 0 {
			sleep = t.PTTL + time.Millisecond
		}
		if a.queues(leased) {
			sleep = min(sleep, refresh) // write, then keep alive, the entry in the server's queue
		}
		if !subscribed {
			// Subscribe, wait for the server to confirm, then try again: from then on no
			// release can go unheard.
			subscribed = true
			err = a.sleep(l.b.subscribe(l.core.name, l.channel), sleep)
		} else {
			var h *hold
			var done bool
			if h, done, err = l.nap(a, w, token, ttl, sleep, &unsure); done {
				return h, err
			}
		}
		if err != nil {
			return nil, err
		}
	}
}

// nap sleeps as the parked head w until it is woken, passed the lock, granted it, or d has
// passed. done is true when contend must return h, err.
func (l *Lock) nap(a *attempt, w *waiter, token string, ttl, d time.Duration, unsure *bool) (h *hold, done bool, err error) {
	l.b.park(l, w, token, ttl)
	err = a.sleep(w.wake, d)
	o, g := l.b.unpark(w)
	if o != nil {
		<-o.done // the Release that passes the lock is one round trip from done, or none
		if o.ok {
			if a.queued {
				l.b.undo(l, token) // leave the server's queue, which no longer serves
			}
			keyTTL := ttl
			if o.token != "" {
				token = o.token // the key stays in the process's hands: keep its owner token
				keyTTL = o.ttl
			}
			h, err = l.core.newHold(token, o.fence, ttl, o.sent, keyTTL, o.clock)
			return h, true, err
		}
		*unsure = *unsure || o.err != nil
	}
	if g != nil && err == nil && a.claims(g) {
		l.b.claimed.Add(1)
		h, err = l.core.newHold(token, g.fence, ttl, a.sent, a.grant, clock{server: g.clock, at: time.Now()})
		return h, true, err
	}
	// A grant that cannot be claimed is checked by the next try, which finds the key
	// already this token's and sets its TTL; one heard after the attempt ended is freed
	// by undo.
	return nil, err != nil, err
}

// undo frees the lock, in the background, after a try whose reply was lost, in case it
// took the lock, and takes token out of the server's queue, in case it was granted the lock
// or would be. A try given up on while its pipeline was in flight may not have reached the
// server yet: undo waits for that pipeline first (for at most undoWait), or it could run
// before the try and leave the key taken for a lease. Close cuts it short.
func (b *Backend) undo(l *Lock, token string) {
	if !b.enter() {
		return
	}
	go func() {
		defer b.wg.Done()
		settle, cancel := context.WithTimeout(b.ctx, undoWait)
		_ = b.scripts.Settle(settle) // past undoWait, free what can be freed now
		cancel()
		ctx, cancel := context.WithTimeout(b.ctx, undoWait)
		defer cancel()
		_, _ = l.runRelease(ctx, token, 0, true)
	}()
}
