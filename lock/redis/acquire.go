package redis

import (
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"time"

	"github.com/batonlock/baton/internal/redisscript"
	"github.com/batonlock/baton/internal/vocab"
	"github.com/batonlock/baton/lock"
)

// maxSplit is the most a waiter sleeps after a split vote (two processes each took some
// nodes, neither a majority).
const maxSplit = 20 * time.Millisecond

var errNoAnswer = errors.New("redis did not answer before the blocking window ended")

// contend (PROTOCOL.md, "Acquire") is the one Acquire loop, for one node and for N: it
// waits for the turn of this Acquire among the process's waiters on the name, then tries
// the nodes until it gets the lock or the attempt ends.
func (a *attempt) contend() (h *hold, err error) {
	l := a.l
	if err = a.enterLine(); err != nil {
		return nil, err
	}
	defer func() { a.leaveLine(h) }()
	a.token, a.ttl = redisscript.Token(l.opts.Owner), l.ttl()
	// A short timeout must not make a queued waiter refresh its entry more often than a
	// leased one at the shortest lease does.
	a.grant, a.refresh, a.life = queueTimes(max(a.ttl, lock.MinLease))
	defer func() { a.dropToken(err) }()
	// When the name's channel was confirmed before the first try, no release after that
	// try can go unheard, so there is no need to subscribe and try again.
	a.subscribed = l.b.confirmed(l.name, l.channel)
	if a.w.after > 0 && a.subscribed {
		// The waiter before this one has just taken the lock: its Release will pass the
		// lock here, wake this waiter or publish, so sleep at once instead of trying.
		a.waiting()
		if h, done, err := a.nap(a.w.after + time.Millisecond); done {
			return h, err
		}
	}
	for {
		if h, done, err := a.step(); done {
			return h, err
		}
	}
}

// step runs one try and the sleep after it; done is true when contend must return h, err.
func (a *attempt) step() (h *hold, done bool, err error) {
	l := a.l
	select {
	case <-a.w.wake: // this try covers any release heard so far
	default:
	}
	wait, err := a.place()
	if err != nil {
		return nil, true, err
	}
	if !l.b.nodes.single() {
		a.token = redisscript.Token(l.opts.Owner) // see nodes.single
	}
	a.tries++
	// Releases published after the subscription was confirmed (by a majority of the nodes)
	// cannot go unheard; that must hold before the try, not only after it.
	heard := a.subscribed && l.b.confirmed(l.name, l.channel)
	sent := time.Now()
	t, err := l.b.nodes.try(a.tryCtx, l, a.token, a.ttl, wait)
	at := time.Now()
	if wait != nil {
		l.b.leaveTry()
		a.queued, a.unsure = true, true // if not by this try, then by the one before
	}
	switch {
	case err != nil:
		done, err := a.failedTry(err)
		return nil, done, err
	case t.took && a.late(sent, a.ttl):
		// Taken, but the reply came after the hold's safe deadline: the key may have
		// expired and been taken since. The next try, with the same token, finds the key
		// its own and sets its TTL anew, or finds it taken.
		a.unsure = true
		return nil, false, nil
	case t.took:
		h, err = l.newHoldOn(t.nodes, a.token, t.fence, a.ttl, sent, a.ttl, clock{server: t.clock, at: at}, false)
		return a.made(h), true, err
	case t.theirs > 0:
		return nil, true, vocab.PermitsDisagree(l.name, 1, t.theirs)
	}
	if wait != nil {
		a.last, a.sent = a.tries, sent
	}
	return a.missed(t, heard)
}

// missed sleeps after a try that did not take the lock: until the holder's release or
// its key's TTL; at random after a split vote; at the backoff when the nodes could not
// decide. heard says whether releases could not go unheard when the try was sent.
func (a *attempt) missed(t tried, heard bool) (h *hold, done bool, err error) {
	a.lastErr = t.err
	if a.noWait {
		return nil, true, a.fail(lock.ErrNotAcquired)
	}
	if t.busy {
		a.waiting() // not for nodes that could not answer: nothing says the name is held
	}
	switch {
	case t.held:
		a.backoff = 0
		return a.sleepHeld(t.pttl, heard)
	case t.split:
		// The others' freed nodes publish at once, so a woken waiter would collide
		// again: back off a random while instead.
		return a.pause(nil, mrand.N(maxSplit)+time.Millisecond)
	}
	// No majority could answer (what a minority took is being freed), or no one owner
	// holds a majority and the other nodes could not answer: once they can, the lock may
	// be free on a majority, and no release need say so.
	a.backoff = nextBackoff(a.backoff)
	return a.pause(a.w.wake, a.backoff)
}

// pause sleeps for d or until wake; done is true when the attempt ended.
func (a *attempt) pause(wake <-chan struct{}, d time.Duration) (h *hold, done bool, err error) {
	err = a.sleep(wake, d)
	return nil, err != nil, err
}

// place says how the next try puts the waiter in the lock's queue on the server (nil: it
// does not). A waiter that holds without a timeout queues from its second try, so that a
// lock free at once costs no more than a plain try. It does not queue behind a hold of
// this process, whose Release passes it the lock in memory.
func (a *attempt) place() (*redisscript.Wait, error) {
	if a.tries == 0 || !a.queues() {
		return nil, nil
	}
	if err := a.record(); err != nil { // before the try: Close withdraws the tokens it finds recorded
		return nil, err
	}
	return &redisscript.Wait{Life: a.life, Try: a.tries + 1, Grant: a.grant}, nil
}

// failedTry handles a try that got no reply: the attempt ends when its ctx or window did,
// the backend closed, or a NoWait; otherwise it backs off and tries again (done false).
func (a *attempt) failedTry(err error) (done bool, _ error) {
	a.unsure, a.lostReply = true, true
	if errors.Is(err, lock.ErrClosed) && a.ctx.Err() == nil {
		return true, a.fail(lock.ErrClosed)
	}
	if err := a.cut(errNoAnswer); err != nil {
		return true, err
	}
	a.lastErr = err
	a.l.backendError("acquire", err)
	if a.noWait {
		return true, a.fail(lock.ErrNotAcquired)
	}
	a.backoff = nextBackoff(a.backoff)
	if err := a.sleep(nil, a.backoff); err != nil {
		return true, err
	}
	return false, nil
}

// sleepHeld sleeps after a try that found the key held with pttl left: until the release
// is heard (or passed or granted), the key expires, or a queued waiter's entry is due for
// its refresh.
func (a *attempt) sleepHeld(pttl time.Duration, heard bool) (h *hold, done bool, err error) {
	l := a.l
	sleep := l.untilExpiry(pttl)
	if a.queues() {
		sleep = min(sleep, a.refresh) // write, then keep alive, the entry in the server's queue
	}
	if !a.subscribed {
		a.subscribed = true
		if confirmed := l.b.subscribe(l.name, l.channel); confirmed != nil {
			// One node: wait for the server to confirm, then try again: from then on
			// no release can go unheard.
			return a.pause(confirmed, sleep)
		}
		// N nodes: each node's confirmation wakes the head, which tries again.
	}
	if !heard {
		sleep = min(sleep, minRetry) // a release may go unheard until it is confirmed
	}
	return a.nap(sleep)
}

// nap sleeps as the parked head until it is woken, passed the lock, granted it, or d has
// passed. done is true when contend must return h, err.
func (a *attempt) nap(d time.Duration) (h *hold, done bool, err error) {
	l, w, token, ttl := a.l, a.w, a.token, a.ttl
	l.b.park(l, w, token, ttl)
	err = a.sleep(w.wake, d)
	o, g := l.b.unpark(w)
	if o != nil {
		if err := a.awaitOffer(o); err != nil {
			return nil, true, err
		}
		if o.ok {
			keyTTL, adopt := ttl, l.newHold
			if o.token != "" {
				// Passed in memory: the key stays in the process's hands under its owner
				// token; this waiter's own token leaves the server's queue, which no longer
				// serves. (A pass by script took it out of the queue itself: the key is that
				// token's now, and a withdrawal would free it.)
				if a.queued {
					l.b.nodes.undo(l, token)
				}
				token, keyTTL, adopt = o.token, o.ttl, l.adoptHold
			}
			if a.late(o.sent, keyTTL) {
				a.passedLate(o.token != "")
				return nil, false, nil
			}
			h, err = adopt(token, o.fence, ttl, o.sent, keyTTL, o.clock)
			if o.token == "" {
				h = a.made(h) // the key holds this attempt's token
			}
			return h, true, err
		}
		a.unsure = a.unsure || o.err != nil
		a.lostReply = a.lostReply || o.err != nil
	}
	if err != nil {
		return nil, true, err // a grant heard after the attempt ended is freed by undo
	}
	return a.claim(g)
}

// claim holds on g, a grant heard for the waiter's token (nil: none), with no try, when
// a.claims it (see grant.go): one trip through the server from release to the next hold.
// A grant it cannot claim is found by the next try, which finds the key (or the permit
// or shared hold) already this token's and sets its TTL.
func (a *attempt) claim(g *grant) (h *hold, done bool, err error) {
	l := a.l
	if g == nil || !a.claims(g) {
		return nil, false, nil
	}
	l.b.claimed.Add(1)
	h, err = l.adoptHold(a.token, g.fence, a.ttl, a.sent, a.grant, clock{server: g.clock, at: time.Now()})
	return a.made(h), true, err
}

// made returns h, a hold the attempt took under its own token (nil: none), marked unsure
// when a write with that token got no reply: it may still land on the key, and so on the
// key of a hold this one is passed to in memory.
func (a *attempt) made(h *hold) *hold {
	if h != nil && a.lostReply {
		h.markUnsure()
	}
	return h
}

// errLate: a try took the lock, or a pass handed it over, but the hold's safe deadline had
// passed by the time this process could use it.
var errLate = errors.New("redis answered after the hold's validity ended")

// late reports whether a hold whose key's TTL was set to keyTTL by a write sent at sent is
// past its safe deadline already (a reply slower than the TTL, a starved process), and if
// so records why for the attempt's error. Such a hold is no hold: its key may have expired
// and been taken by another process (PROTOCOL.md, "Acquire").
func (a *attempt) late(sent time.Time, keyTTL time.Duration) bool {
	if time.Now().Before(a.l.b.cfg.deadline(sent, keyTTL)) {
		return false
	}
	a.lastErr = fmt.Errorf("%w (%v after the write, of a %v TTL)", errLate, time.Since(sent).Round(time.Millisecond), keyTTL)
	return true
}

// passedLate handles a pass that reached this waiter after the hold's safe deadline. After
// a pass by script the key holds this attempt's token: its next try finds it its own and
// sets its TTL anew. After a pass in memory the key keeps the old holder's token and
// expires within the drift margin, and this attempt's token is being withdrawn from the
// server's queue in the background (nap), which would free a key the token took meanwhile:
// the attempt goes on with a fresh token.
func (a *attempt) passedLate(inMemory bool) {
	if !inMemory {
		a.unsure = true
		return
	}
	if a.unsure && !a.queued {
		a.l.b.nodes.undo(a.l, a.token) // a try whose reply was lost may have queued the token
	}
	a.unrecord()
	a.token = redisscript.Token(a.l.opts.Owner)
	a.queued, a.unsure, a.lostReply, a.last = false, false, false, 0
}
