package redis

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/batonlock/baton/lock"
)

// The queue of waiters on the server (PROTOCOL.md, "Server grant"; grant.lua, wait.lua): a
// waiter that finds the lock taken by another process puts its token in the lock's queue,
// so that the holder's Release hands the key straight to it and publishes the grant, and
// the waiters of every process are served in the order they queued. The waiter then holds
// as soon as the message comes, with no try of its own: one trip through the server from
// release to the next hold, not two. It sets its own TTL in the background: a lease at its
// first renewal, a timeout at once, which so counts from when the hold began.
//
// The key gets the grant's TTL from the moment the Release runs, which the waiter cannot
// see; it counts from when it sent the try that wrote its entry (the grant names that try,
// and came after it). It holds only on a grant that names its last answered try: a grant
// for an earlier one ran before that try was processed, which then found the key not its
// own: that grant was over by then, however late its message came. A grant it cannot
// hold on is left to its next try, which finds the key already its own if it still is.
//
// An entry lives queueLife after the try that wrote it, and the waiter refreshes it every
// queueRefresh while it sleeps, so a granted waiter finds at least grantTTL minus
// queueRefresh minus a round trip left, and renews at once to its lease. A waiter that
// died is skipped once its entry expires; one granted the lock just before it died keeps
// the lock from others for at most the grant's TTL.
const (
	grantTTL     = 3 * time.Second // at most; never more than the waiter's lease
	queueRefresh = grantTTL / 3    // of the grant TTL
	queueLife    = grantTTL / 2    // of the grant TTL
)

// queueTimes returns the grant TTL, refresh period and entry life for a lease of ttl.
func queueTimes(ttl time.Duration) (grant, refresh, life time.Duration) {
	grant = min(ttl, grantTTL)
	return grant, grant * queueRefresh / grantTTL, grant * queueLife / grantTTL
}

// grant is the message of a Release of another process that handed the key to a waiter
// queued on the server (grant.lua): the waiter's token, the try that wrote its entry, the
// fence, and the server clock in µs as it granted the key.
type grant struct {
	token string
	try   uint64
	fence uint64
	clock uint64
}

// granted hands a grant heard on name's channel to the head waiter it names, or keeps it
// for the head to claim when it parks: the message may come while the head's try is in
// flight. A grant for a token of another process, or of no waiter left, is ignored (a
// waiter that gives up withdraws from the server's queue, and frees a key granted to it).
func (b *Backend) granted(name string, g *grant) {
	b.mu.Lock()
	defer b.mu.Unlock()
	q := b.queues[name]
	if q == nil || len(q.waiters) == 0 {
		return
	}
	w := q.waiters[0]
	if w.awaits != "" && w.awaits == g.token { // a permit waiter: it claims the grant when it wakes
		w.grant = g
		poke(w)
		return
	}
	if w.parked && w.token == g.token && w.offer == nil {
		w.grant = g
		poke(w)
		return
	}
	q.grant = g
}

// awaitGrant marks w, the head waiter on its name, as a permit waiter that will queue on the
// server with token: a grant for token wakes it (granted).
func (b *Backend) awaitGrant(w *waiter, token string) {
	b.mu.Lock()
	w.awaits = token
	b.mu.Unlock()
}

// takeGrant returns the grant heard for the permit waiter w, if any, and forgets it.
func (b *Backend) takeGrant(w *waiter) *grant {
	b.mu.Lock()
	defer b.mu.Unlock()
	g := w.grant
	w.grant = nil
	return g
}

// heard handles a message on name's channel: "released" wakes the head waiter of this
// process; "granted <token> <try> <fence> <server µs>" goes to the waiter it names. A message it cannot
// read wakes the head too, which then tries again.
func (b *Backend) heard(name, payload string) {
	if rest, ok := strings.CutPrefix(payload, "granted "); ok {
		if g, ok := parseGrant(rest); ok {
			b.granted(name, g)
			return
		}
	}
	b.wakeHead(name)
}

func parseGrant(s string) (*grant, bool) {
	f := strings.Fields(s)
	if len(f) != 4 {
		return nil, false
	}
	try, err1 := strconv.ParseUint(f[1], 10, 64)
	fence, err2 := strconv.ParseUint(f[2], 10, 64)
	clock, err3 := strconv.ParseUint(f[3], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || f[0] == "" || fence == 0 {
		return nil, false
	}
	return &grant{token: f[0], try: try, fence: fence, clock: clock}, true
}

// queue records that token is in l's queue on the server, until unqueue, and counts a try
// that may put it there as in flight, until leaveTry; false once the backend is closed
// (Close has taken its list of tokens to withdraw).
func (b *Backend) queue(l *Lock, token string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return false
	}
	b.queued[token] = l
	b.inTry++
	return true
}

// leaveTry ends a try that queue counted, once it was answered or given up on.
func (b *Backend) leaveTry() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.inTry--; b.inTry == 0 && b.closed {
		close(b.triesDone)
	}
}

func (b *Backend) unqueue(token string) {
	b.mu.Lock()
	delete(b.queued, token)
	b.mu.Unlock()
}

// record records the attempt's token for Close to withdraw (queue) before each try that
// may put it in the server's queue: an exclusive waiter's (place) or a permit waiter's
// (placeMulti), which calls leaveTry once the try is over. A token that becomes a hold
// leaves the record (addHold). After Close it returns the attempt's lock.ErrClosed error.
func (a *attempt) record() error {
	if !a.l.b.queue(a.l, a.token) {
		return a.fail(lock.ErrClosed)
	}
	a.recorded = true
	return nil
}

// unrecord takes the attempt's token out of the record for Close (unqueue), when the
// attempt ends or gives the token up.
func (a *attempt) unrecord() {
	if a.recorded {
		a.l.b.unqueue(a.token)
		a.recorded = false
	}
}

// dropToken ends the attempt's use of its token, at its end with err: a failed attempt that
// is unsure of its tries undoes them (nodes.undo), and only then is the token taken off
// Close's record (unrecord), so that a Close at any moment withdraws it or finds the undo
// at work. In the other order a Close in between would do neither, and a Release elsewhere
// could grant the lock to a waiter that is gone.
func (a *attempt) dropToken(err error) {
	if err != nil && a.unsure {
		a.l.b.nodes.undo(a.l, a.token)
	}
	if a.l.b.dropping != nil {
		a.l.b.dropping(a.l.name)
	}
	a.unrecord()
}

// closeWithdraw bounds how long Close waits for the queueing tries in flight, and then how
// long it spends taking its waiters out of the server's queues.
const closeWithdraw = 500 * time.Millisecond

// settleTries waits, for at most closeWithdraw, until the tries that may queue a token on
// the server and were in flight when Close began have been answered, and the pipelines of
// those given up on meanwhile have landed. A try that reached the server after Close's
// withdrawal would queue its token again, for a Release elsewhere to grant the lock to a
// waiter that is gone (PROTOCOL.md, "Server grant").
func (b *Backend) settleTries() {
	if b.closing != nil {
		b.closing()
	}
	ctx, cancel := context.WithTimeout(context.Background(), closeWithdraw)
	defer cancel()
	select {
	case <-b.triesDone:
	case <-ctx.Done():
	}
	_ = b.scripts.Settle(ctx)
}

// withdraw takes the tokens of waiters that Close ends, exclusive and permit waiters, out
// of their locks' queues on the server, and frees a lock or permit granted to one of them
// meanwhile (withdrawToken), so that a Release elsewhere does not grant it to a waiter that
// is gone. Best effort, within closeWithdraw.
func (b *Backend) withdraw(queued map[string]*Lock) {
	ctx, cancel := context.WithTimeout(context.Background(), closeWithdraw)
	defer cancel()
	var wg sync.WaitGroup
	slots := make(chan struct{}, 64) // concurrent calls share pipelines; a few suffice
	for token, l := range queued {
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			_ = l.withdrawToken(ctx, token)
		}()
	}
	wg.Wait()
}

// queues reports whether the attempt's tries after the first put the waiter in the server's
// queue: it waits (not NoWait), the key lives on one server (a quorum's nodes keep no
// queue: nodes.single), and the lock is not held in this process. Waiters with a
// timeout queue as leased ones do, so that the waiters of all processes are served in the
// order they queued in both hold modes (PROTOCOL.md, "Server grant").
func (a *attempt) queues() bool {
	return !a.noWait && a.l.b.nodes.single() && (a.queued || !a.l.b.heldHere(a.l.name))
}

// claims reports whether the attempt holds by grant g, with no try: g answers the last try
// that wrote the waiter's entry (so the Release that granted the key ran after that try was
// sent), and the key's grant TTL, counted from then, leaves time to renew it. The hold then
// sets its own TTL at once, in the background (adoptHold): a lease at its first renewal, a
// timeout at once, so that it counts from when the hold began.
func (a *attempt) claims(g *grant) bool {
	if !a.queued || g.try != a.last {
		return false
	}
	return time.Until(a.l.b.cfg.deadline(a.sent, a.grant)) > a.grant/4
}
