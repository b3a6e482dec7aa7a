package redis

import (
	"errors"
	mrand "math/rand/v2"
	"time"

	"github.com/batonlock/baton/internal/redisscript"
	"github.com/batonlock/baton/lock"
)

// maxSplit is the most a waiter sleeps after a split vote (two processes each took some
// nodes, neither a majority).
const maxSplit = 20 * time.Millisecond

var errNodesNoAnswer = errors.New("the nodes did not answer before the blocking window ended")

// quorumAttempt is one Acquire call on a Quorum (attemptOf: what ends its waits, and why it
// failed).
type quorumAttempt struct {
	*attemptOf[nodeSet]
	l          *quorumLock
	w          *waiter
	ttl        time.Duration
	subscribed bool
	backoff    time.Duration // after tries that no majority could answer
}

// contend waits for the turn of this Acquire among the process's waiters on the name, then
// tries the nodes until a majority gives it the lock or the attempt ends.
func (l *quorumLock) contend(a *quorumAttempt) (h *quorumHold, err error) {
	if a.w, err = a.enterLine(l.channel); err != nil {
		return nil, err
	}
	defer func() { a.leaveLine(a.w, l.channel, h) }()
	a.ttl = l.handle.ttl()
	if a.w.after > 0 && l.b.confirmed(l.handle.name, l.channel) {
		// The waiter before this one has just taken the lock, and its release cannot go
		// unheard: sleep at once instead of trying.
		a.subscribed = true
		a.waiting()
		if err := a.sleep(a.w.wake, a.w.after+time.Millisecond); err != nil {
			return nil, err
		}
	}
	for {
		if h, done, err := a.step(); done {
			return h, err
		}
	}
}

// step runs one try on every node and the sleep after it; done is true when contend must
// return h, err.
func (a *quorumAttempt) step() (h *quorumHold, done bool, err error) {
	l := a.l
	select {
	case <-a.w.wake: // this try covers any release heard so far
	default:
	}
	// A fresh token (128 random bits and the owner label) for every try: the nodes a failed try took are
	// freed in the background, and that must not free a later try's hold.
	token := redisscript.Token(l.handle.opts.Owner)
	// Releases published after a majority confirmed the subscription cannot go
	// unheard; that must hold before the try, not only after it.
	heard := a.subscribed && l.b.confirmed(l.handle.name, l.channel)
	t, err := l.tryAcquire(a.tryCtx, token, a.ttl)
	switch {
	case errors.Is(err, lock.ErrClosed) && a.ctx.Err() == nil:
		return nil, true, a.fail(lock.ErrClosed)
	case err != nil: // ctx or the blocking window ended during the try
		if err := a.cut(errNodesNoAnswer); err != nil {
			return nil, true, err
		}
		return nil, true, a.fail(lock.ErrNotAcquired)
	case t.ok:
		h, err = l.handle.newHold(token, t.fence, a.ttl, t.sent, a.ttl, nodeSet{raised: t.raised, landed: t.landed})
		return h, true, err
	}
	a.lastErr = t.err
	if a.noWait {
		return nil, true, a.fail(lock.ErrNotAcquired)
	}
	if t.held {
		a.waiting() // not for nodes that could not answer: nothing says the name is held
	}
	if !a.subscribed {
		// From the time a majority of the nodes has confirmed the subscription, no
		// release can go unheard; each confirmation wakes this waiter to try again.
		a.subscribed = true
		l.b.subscribe(l.handle.name, l.channel)
	}
	sleep, wake := a.pause(t, heard)
	err = a.sleep(wake, sleep)
	return nil, err != nil, err
}

// pause says how long to sleep after a try that did not take the lock, and on what to
// wake early (nil: nothing); heard says whether releases could not go unheard.
func (a *quorumAttempt) pause(t quorumTry, heard bool) (time.Duration, <-chan struct{}) {
	var sleep time.Duration
	wake := a.w.wake
	switch {
	case t.majority:
		// Held by one owner on a majority, whether or not this try took the other
		// nodes (which are freed without a message): sleep until the holder's release or
		// its TTL.
		sleep = a.l.handle.untilExpiry(t.pttl)
		a.backoff = 0
	case t.partial && t.held:
		// A split vote: the others' freed nodes publish at once, so a woken waiter
		// would collide again. Back off a random while instead.
		sleep, wake = mrand.N(maxSplit)+time.Millisecond, nil
	default:
		// No majority could answer (what a minority took is being freed), or no one
		// owner holds a majority and the other nodes could not answer: once they can, the
		// lock may be free on a majority, and no release need say so. Retry at the
		// backoff, not at the TTL of keys that do not make a hold.
		a.backoff = nextBackoff(a.backoff)
		sleep = a.backoff
	}
	if !t.held || !heard {
		// Releases may go unheard: do not sleep past the retry backoff.
		sleep = min(sleep, max(a.backoff, minRetry))
	}
	return sleep, wake
}
