package redis

import (
	"crypto/rand"
	"errors"
	mrand "math/rand/v2"
	"time"

	"github.com/batonlock/baton/lock"
)

// Backoff between tries that failed because the nodes could not be reached, and the most a
// waiter sleeps after a split vote (two processes each took some nodes, neither a majority).
const (
	maxSplit = 20 * time.Millisecond
)

var errNodesNoAnswer = errors.New("the nodes did not answer before the blocking window ended")

// attempt is one Acquire call (attemptOf: what ends its waits, and why it failed).
type quorumAttempt struct {
	*attemptOf[nodeSet]
	l *quorumLock
}

// contend waits for the turn of this Acquire among the process's waiters on the name, then
// tries the nodes until a majority gives it the lock or the attempt ends.
func (l *quorumLock) contend(a *quorumAttempt) (h *quorumHold, err error) {
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
	subscribed := false
	if w.after > 0 && l.b.confirmed(l.core.name, l.channel) {
		// The waiter before this one has just taken the lock, and its release cannot go
		// unheard: sleep at once instead of trying.
		subscribed = true
		a.waiting()
		if err := a.sleep(w.wake, w.after+time.Millisecond); err != nil {
			return nil, err
		}
	}
	var backoff time.Duration
	for {
		select {
		case <-w.wake: // this try covers any release heard so far
		default:
		}
		// A fresh token (128 random bits) for every try: the nodes a failed try took are
		// freed in the background, and that must not free a later try's hold.
		token := rand.Text()
		// Releases published after a majority confirmed the subscription cannot go
		// unheard; that must hold before the try, not only after it.
		heard := subscribed && l.b.confirmed(l.core.name, l.channel)
		t, err := l.tryAcquire(a.tryCtx, token, ttl)
		switch {
		case err != nil && a.ctx.Err() != nil:
			return nil, a.fail(a.ctx.Err())
		case errors.Is(err, lock.ErrClosed):
			return nil, a.fail(lock.ErrClosed)
		case err != nil: // the blocking window ended during the try
			if a.lastErr == nil {
				a.lastErr = errNodesNoAnswer
			}
			return nil, a.fail(lock.ErrNotAcquired)
		case t.ok:
			return l.core.newHold(token, t.fence, ttl, t.sent, ttl, nodeSet{raised: t.raised, landed: t.landed})
		}
		a.lastErr = t.err
		if a.noWait {
			return nil, a.fail(lock.ErrNotAcquired)
		}
		if t.held {
			a.waiting() // not for nodes that could not answer: nothing says the name is held
		}
		if !subscribed {
			// From the time a majority of the nodes has confirmed the subscription, no
			// release can go unheard; each confirmation wakes this waiter to try again.
			subscribed = true
			l.b.subscribe(l.core.name, l.channel)
		}
		var sleep time.Duration
		wake := w.wake
		switch {
		case t.majority:
			// Held by one owner on a majority, whether or not this try took the other
			// nodes (which are freed without a message): sleep until the holder's release or
			// its TTL.
			sleep = l.b.cfg.lease // the key has no TTL: someone else's, set by hand
			if t.pttl >= 0 {
				sleep = t.pttl + time.Millisecond
			}
			backoff = 0
		case t.partial && t.held:
			// A split vote: the others' freed nodes publish at once, so a woken waiter
			// would collide again. Back off a random while instead.
			sleep, wake = mrand.N(maxSplit)+time.Millisecond, nil
		default:
			// No majority could answer (what a minority took is being freed), or no one
			// owner holds a majority and the other nodes could not answer: once they can, the
			// lock may be free on a majority, and no release need say so. Retry at the
			// backoff, not at the TTL of keys that do not make a hold.
			backoff = min(max(2*backoff, minRetry), maxRetry)
			sleep = backoff
		}
		if !t.held || !heard {
			// Releases may go unheard: do not sleep past the retry backoff.
			sleep = min(sleep, max(backoff, minRetry))
		}
		if err := a.sleep(wake, sleep); err != nil {
			return nil, err
		}
	}
}
