package redis

import (
	"time"

	"github.com/batonlock/baton/internal/redisscript"
	"github.com/batonlock/baton/lock"
)

// waitQueue orders the Acquire calls of this process on one name. Only its head talks to
// Redis; the others wait for their turn, so they are served in arrival order and a crowd of
// waiters costs the server one client. It exists only while some Acquire on the name is in
// progress.
type waitQueue struct {
	waiters    []*waiter
	subscribed bool   // the queue holds a reference on the name's channel
	handoffs   int    // holds passed on in a row without a Release to the server
	grant      *grant // heard while the head was not parked: it claims it when it parks
}

type waiter struct {
	turn  chan struct{} // closed when the waiter becomes the head
	wake  chan struct{} // a release was heard, or the head should try again
	after time.Duration // set before turn closes: the head before took the lock for this TTL

	// guarded by b.mu
	parked bool          // sleeping between tries: a Release may pass the lock to it
	token  string        // the owner token it will hold with
	ttl    time.Duration // and the TTL
	leased bool          // it will hold without a timeout, renewed
	offer  *offer        // set by the Release that is passing the lock to it
	grant  *grant        // the lock was granted to its token on the server
	awaits string        // a permit waiter's token: a grant for it wakes the waiter (multi.go)
}

// offer is a hold passed from a Release of this process to the head waiter, in the same
// script that ends the old hold: one round trip from release to the next hold, not two.
type offer struct {
	done  chan struct{} // closed when the fields below are set
	ok    bool          // the waiter holds the lock
	fence uint64
	clock clock         // what the new hold knows of the server clock
	sent  time.Time     // when the script was sent: the new hold's deadline counts from then
	err   error         // the script failed; the lock may or may not have been passed
	token string        // passed without a script: the key's owner token, kept by the new hold
	ttl   time.Duration // passed without a script: the key's TTL as of sent
	gone  bool          // guarded by b.mu: the waiter gave the offer up before it was done
}

// doneOffer marks o done (its fields are set) and reports whether its waiter gave it up
// meanwhile (awaitOffer): the Release must then free what the script passed to it.
func (b *Backend) doneOffer(o *offer) (gone bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	close(o.done)
	return o.gone
}

// awaitOffer waits for o, the offer a Release of this process made the parked waiter, to
// be done: the Release's script is one round trip from done, but a stalled link must not
// hold the Acquire past its ctx, blocking window or Close. If the attempt ends first, the
// waiter gives the offer up, and the Release frees what it passes (doneOffer); the error is
// the attempt's.
func (a *attempt) awaitOffer(o *offer) error {
	b := a.l.b
	select {
	case <-o.done:
		return nil
	case <-a.tryCtx.Done(): // its ctx or its blocking window ended
	case <-b.done:
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if isClosed(o.done) {
		return nil // done meanwhile: the offer stands
	}
	o.gone, a.unsure = true, true
	if err := a.cut(nil); err != nil {
		return err
	}
	return a.fail(lock.ErrClosed)
}

// maxHandoffs bounds how many holds in a row are passed on inside the process. Then a
// Release frees the lock on the server and publishes it, so that waiters of other
// processes get their chance.
const maxHandoffs = 8

// park marks the head w as sleeping between tries, ready to be passed the lock
// (PROTOCOL.md, "In-process pass").
// A grant heard before it parked, for its token, wakes it at once.
func (b *Backend) park(l *Lock, w *waiter, token string, ttl time.Duration) {
	b.mu.Lock()
	w.parked, w.token, w.ttl, w.leased = true, token, ttl, l.opts.Timeout == 0
	if q := b.queues[l.name]; q != nil && q.grant != nil && q.grant.token == token {
		w.grant, q.grant = q.grant, nil
		poke(w)
	}
	b.mu.Unlock()
}

// unpark ends the sleep of w and returns the offer a Release of this process made it
// meanwhile, or the grant a Release of another process sent it, if any. The caller must
// wait for the offer to be done.
func (b *Backend) unpark(w *waiter) (*offer, *grant) {
	b.mu.Lock()
	defer b.mu.Unlock()
	w.parked = false
	o, g := w.offer, w.grant
	w.offer, w.grant = nil, nil
	return o, g
}

// poke wakes w if it is asleep; b.mu is held.
func poke(w *waiter) {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// claimHead (PROTOCOL.md, "In-process pass") returns the head waiter on name, with a new offer, if it is parked and the
// lock may be passed on; nil otherwise. turn is true when the lock has been passed on too
// often in a row: the Release must then leave the head to hear the published release like
// the waiters of other processes, so that they all start even.
//
// When h is quiet (no write of it may still land on the key: hold.quiet), h and the head
// have the same owner label (the key keeps h's token, which carries the label Inspect
// reports), the head holds with a timeout or both lease, and the server clock is past h's
// fence + 1 (PROTOCOL.md, "Fences"), the offer is already done: the head takes over h's
// claim on the key (its owner token and the TTL its last confirmed write set; a timeout
// then sets its own, adoptHold) with that fence, and the caller must not run the hand-off
// script.
func (b *Backend) claimHead(name string, h *hold, quiet bool) (_ *waiter, _ *offer, turn bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	q := b.queues[name]
	w := parkedHead(q)
	if w == nil || w.awaits != "" { // a permit waiter holds in the holders set, not the key
		return nil, nil, false
	}
	if q.handoffs >= maxHandoffs {
		q.handoffs = 0
		return nil, nil, true
	}
	q.handoffs++
	o := &offer{done: make(chan struct{})}
	if quiet && (!w.leased || h.leased && w.ttl == h.ttl) && redisscript.SameOwner(h.token, w.token) && h.clock.passable(h.fence+1) {
		o.ok, o.fence, o.clock, o.token, o.sent, o.ttl = true, h.fence+1, h.clock, h.token, h.confirmed, h.keyTTL
		close(o.done)
	}
	w.offer = o
	poke(w)
	return w, o, false
}

// parkedHead returns the head waiter of q (nil: none) if it is parked and no Release has
// made it an offer yet; b.mu is held.
func parkedHead(q *waitQueue) *waiter {
	if q == nil || len(q.waiters) == 0 {
		return nil
	}
	if w := q.waiters[0]; w.parked && w.offer == nil {
		return w
	}
	return nil
}

// enqueue adds a waiter for name at the back of its queue.
func (b *Backend) enqueue(name string) *waiter {
	w := &waiter{turn: make(chan struct{}), wake: make(chan struct{}, 1)}
	b.mu.Lock()
	q := b.queues[name]
	if q == nil {
		q = &waitQueue{}
		b.queues[name] = q
	}
	q.waiters = append(q.waiters, w)
	if len(q.waiters) == 1 {
		close(w.turn)
	}
	b.mu.Unlock()
	return w
}

// dequeue removes w from name's queue, hands the turn to the next waiter, and drops the
// queue (and its subscriptions to channel) when it is empty. took is the TTL of the hold w
// took, 0 if it gave up. The next head tries at once when w gave up, so a wake-up that w
// took and did not use is never lost; when w took the lock, the next head sleeps until
// that hold's release reaches it, or its TTL has passed.
func (b *Backend) dequeue(name, channel string, w *waiter, took time.Duration) {
	b.mu.Lock()
	q := b.queues[name]
	for i, x := range q.waiters {
		if x == w {
			q.waiters = append(q.waiters[:i], q.waiters[i+1:]...)
			if i == 0 && len(q.waiters) > 0 {
				q.waiters[0].after = took
				close(q.waiters[0].turn)
			}
			break
		}
	}
	empty := len(q.waiters) == 0
	unsubscribe := empty && q.subscribed
	if empty {
		delete(b.queues, name)
	}
	b.mu.Unlock()
	if unsubscribe {
		for _, s := range b.subs {
			s.release(channel)
		}
	}
}

// subscribe makes sure name's queue is subscribed to channel on every node. Only the head
// calls it, and a head leaves the queue only after its call returned, so the references
// are taken once. On one node it returns a channel closed once the server confirmed the
// subscription; on N it returns nil, and each node's confirmation wakes the head instead.
func (b *Backend) subscribe(name, channel string) <-chan struct{} {
	b.mu.Lock()
	q := b.queues[name]
	first := !q.subscribed
	q.subscribed = true
	b.mu.Unlock()
	var confirmed <-chan struct{}
	for _, s := range b.subs {
		if first {
			confirmed = s.acquire(channel, name)
		} else {
			confirmed = s.confirmation(channel)
		}
	}
	if len(b.subs) > 1 {
		return nil
	}
	return confirmed
}

// confirmed reports whether name's queue is subscribed to channel and a majority of the
// nodes confirmed it, so that no release published from then on can go unheard.
func (b *Backend) confirmed(name, channel string) bool {
	b.mu.Lock()
	q := b.queues[name]
	subscribed := q != nil && q.subscribed
	b.mu.Unlock()
	if !subscribed {
		return false
	}
	n := 0
	for _, s := range b.subs {
		if isClosed(s.confirmation(channel)) {
			n++
		}
	}
	return n >= b.need
}

// wakeHead tells the head waiter on name to try again.
func (b *Backend) wakeHead(name string) {
	b.mu.Lock()
	if q := b.queues[name]; q != nil && len(q.waiters) > 0 {
		poke(q.waiters[0])
	}
	b.mu.Unlock()
}
