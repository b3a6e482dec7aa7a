package redis

import (
	"context"
	"time"

	"github.com/batonlock/baton/internal/redisscript"
)

// The hand-off of a permit to a waiter of this process (PROTOCOL.md, "Permit hand-off").
// A permit waiter queues on the server, and a release grants a freed permit to the first
// live waiter queued there. When that waiter is the parked head of this process, the
// message is a detour: it goes from the server to the subscriber and on to the waiter,
// which, woken by the release, may even have tried on its own before it came. So the
// Release names its parked head to the release script, which admits it, when its turn in
// the server's queue comes, with a fresh fence from the counter and its own TTL, and
// publishes nothing for it; the waiter holds on the script's reply, with no try of its
// own: one round trip from release to the next hold. A pass in memory, as the exclusive
// lock's, would be unsafe: other processes take fences for their permits meanwhile, and
// the releaser's fence + 1 may be below theirs.
//
// The hand-off keeps the order of the server's queue: a waiter of another process queued
// before the head gets the permit first, by message, and the head sleeps on.

// offerPermit returns the head waiter on name, with a new offer, if it is a parked permit
// waiter; nil otherwise. The Release must settle the offer once its script has answered.
// The waiter is not woken until then: woken now, it would only wait for the reply.
func (b *Backend) offerPermit(name string) (*waiter, *offer) {
	b.mu.Lock()
	defer b.mu.Unlock()
	w := parkedHead(b.queues[name])
	if w == nil || w.awaits == "" {
		return nil, nil
	}
	w.offer = &offer{done: make(chan struct{})}
	return w, w.offer
}

// settle marks o, the offer made to w, done and wakes w; gone: w gave the offer up
// meanwhile (awaitOffer).
func (b *Backend) settle(w *waiter, o *offer) (gone bool) {
	gone = b.doneOffer(o)
	b.mu.Lock()
	poke(w)
	b.mu.Unlock()
	return gone
}

// releasePermit frees h's hold and, with pass, admits the parked head waiter of this
// process in the same script if the server's queue owes it the freed permit. offered is
// true when the head was made an offer: it is woken either way, and tries again if the
// script did not admit it.
func (l *Lock) releasePermit(ctx context.Context, h *hold, pass bool) (ok, offered bool, err error) {
	var w *waiter
	var o *offer
	if pass && l.opts.Permits > 1 {
		w, o = l.b.offerPermit(l.name)
	}
	var next redisscript.Next
	if o != nil {
		next = redisscript.Next{Token: w.token, TTL: w.ttl}
		o.sent = time.Now() // the new hold's deadline counts from before the script ran
	}
	r, err := redisscript.ReleaseMultiTo(ctx, l.b.scripts, l.key, l.fenceKey, l.queue, h.token, l.channel, l.b.publish, h.fence, next)
	if o != nil {
		o.ok, o.fence, o.err = r.Passed, r.Fence, err
		o.clock = clock{server: r.Clock, at: time.Now()}
		if l.b.settle(w, o) && o.ok {
			_ = l.withdrawToken(ctx, next.Token) // its waiter gave up meanwhile: free the permit
		}
	}
	return r.OK, o != nil, err
}

// napPermit sleeps as the parked head for d, or until woken, unless the attempt ends; a
// Release of this process may admit it meanwhile (releasePermit), and it then holds on
// that Release's reply. A grant heard for its token is claimed as after any sleep.
func (a *attempt) napPermit(d time.Duration) (h *hold, done bool, err error) {
	l := a.l
	l.b.park(l, a.w, a.token, a.ttl)
	err = a.sleep(a.w.wake, d)
	o, g := l.b.unpark(a.w)
	if o != nil {
		if err := a.awaitOffer(o); err != nil {
			return nil, true, err
		}
		if o.ok && a.late(o.sent, a.ttl) {
			a.unsure = true // the next try finds the admitted hold its own, or gone
			return nil, false, nil
		}
		if o.ok {
			l.b.passed.Add(1)
			h, err = l.newHold(a.token, o.fence, a.ttl, o.sent, a.ttl, o.clock)
			return h, true, err
		}
		// A script that got no reply may have admitted it: the next try finds out.
		a.unsure = a.unsure || o.err != nil
	}
	if err != nil {
		return nil, true, err
	}
	return a.claim(g)
}
