package redis

import (
	"context"
	"time"

	"github.com/batonlock/baton/internal/redisscript"
	"github.com/batonlock/baton/internal/vocab"
	"github.com/batonlock/baton/lock"
)

// The holds of a lock made WithPermits(n > 1) or WithShared (PROTOCOL.md, "Several
// holders"): each is a member of the name's holders set, not the lock key, so there is no
// pass in memory within the process (a parked permit waiter of the releasing process is
// admitted by the release script: permit_pass.go). A permit waiter (n > 1) that finds no
// permit for it queues on the server, as exclusive waiters do, and a release grants the
// freed permit to the first live waiter queued there and publishes "granted …": waiters of
// every process are served in the order they queued. A waiter that gives up withdraws
// (undo), and Close withdraws those of a backend it closes (grant.go, withdraw), so
// that no permit is granted to a waiter that is gone. The grantee holds on the message, as
// an exclusive one does (claim), and sets its own TTL in the background (adoptHold).
// Shared waiters do not queue; a release wakes the head waiter of each process. Waiters of a process are served in arrival order by its wait queue, and the
// next one tries as soon as the one before took a hold, since another may be free.

// contendMulti waits for the attempt's turn among the process's waiters on the name, then
// tries until it takes a hold or the attempt ends. A try whose reply was lost is repeated
// with the same token (the script finds the hold its own) or, if the attempt ends, undone.
func (a *attempt) contendMulti() (h *hold, err error) {
	l := a.l
	if err = a.enterLine(); err != nil {
		return nil, err
	}
	defer func() { a.leaveLine(h) }()
	a.token, a.ttl = redisscript.Token(l.opts.Owner), l.ttl()
	a.grant, a.refresh, a.life = queueTimes(max(a.ttl, lock.MinLease))
	l.b.awaitGrant(a.w, a.token)
	defer func() { a.dropToken(err) }()
	a.subscribed = l.b.confirmed(l.name, l.channel) // see contend
	for {
		if h, done, err := a.stepMulti(); done {
			return h, err
		}
	}
}

// stepMulti runs one try and the sleep after it; done is true when contendMulti must return.
func (a *attempt) stepMulti() (h *hold, done bool, err error) {
	l := a.l
	select {
	case <-a.w.wake:
	default:
	}
	wait, err := a.placeMulti()
	if err != nil {
		return nil, true, err
	}
	heard := a.subscribed && l.b.confirmed(l.name, l.channel)
	sent := time.Now()
	t, err := redisscript.TryMulti(a.tryCtx, l.b.scripts, l.key, l.fenceKey, l.queue, a.token, a.ttl, l.Fence(), l.opts.Permits, wait)
	if wait.Life > 0 {
		l.b.leaveTry()
	}
	switch {
	case err != nil:
		a.unsure = true
		done, err := a.failedTry(err)
		return nil, done, err
	case t.OK && a.late(sent, a.ttl):
		// Taken too late to use (PROTOCOL.md, "Acquire"): the next try, with the same
		// token, finds the hold its own and moves its expiry, or finds it gone.
		a.unsure = true
		return nil, false, nil
	case t.OK:
		h, err = l.newHold(a.token, t.Fence, a.ttl, sent, a.ttl, clock{server: t.Clock, at: time.Now()})
		return h, true, err
	case t.Theirs > 0:
		return nil, true, vocab.PermitsDisagree(l.name, l.opts.Permits, t.Theirs)
	}
	a.lastErr, a.backoff = nil, 0
	if wait.Life > 0 {
		a.queued, a.last, a.sent = true, a.tries, sent // a grant for this try can be claimed
	}
	return a.missedMulti(t.PTTL, wait.Life > 0, heard)
}

// placeMulti says how the next try puts the waiter in the lock's queue on the server (a zero
// Wait: it does not). A permit waiter (n > 1) that waits queues from its first try, its
// token recorded for Close to withdraw before that try (record), as an exclusive waiter's
// is (PROTOCOL.md, "Several holders").
func (a *attempt) placeMulti() (redisscript.Wait, error) {
	if a.noWait || a.l.opts.Permits <= 1 {
		return redisscript.Wait{}, nil
	}
	if err := a.record(); err != nil {
		return redisscript.Wait{}, err
	}
	a.tries++
	a.unsure = true // queued: an attempt that fails withdraws, freeing a permit granted meanwhile
	return redisscript.Wait{Life: a.life, Try: a.tries, Grant: a.grant}, nil
}

// missedMulti sleeps after a try that took no hold and found the first hold in its way with
// pttl left: until a release is heard, a grant or a hand-off comes, that hold expires, or
// (queued: the try wrote the waiter's entry) the entry is due for its refresh. heard says
// whether releases could not go unheard when the try was sent.
func (a *attempt) missedMulti(pttl time.Duration, queued, heard bool) (h *hold, done bool, err error) {
	l := a.l
	if a.noWait {
		return nil, true, a.fail(lock.ErrNotAcquired)
	}
	a.waiting()
	sleep := l.untilExpiry(pttl)
	if queued {
		sleep = min(sleep, a.refresh) // keep the entry on the server alive
	}
	if !heard {
		sleep = min(sleep, max(a.backoff, minRetry)) // a release may go unheard until confirmed
	}
	if a.subscribed && queued {
		return a.napPermit(sleep) // a Release of this process may admit it (permit_pass.go)
	}
	var wake <-chan struct{} = a.w.wake
	if !a.subscribed {
		a.subscribed = true
		wake = l.b.subscribe(l.name, l.channel)
	}
	if err = a.sleep(wake, sleep); err != nil {
		return nil, true, err
	}
	return a.claim(l.b.takeGrant(a.w))
}

// releaseMulti frees h's hold and admits the next waiter of this process in the same
// script when it is parked and the server's queue owes it the permit (permit_pass.go), or
// wakes it; the release message wakes those of other processes.
func (l *Lock) releaseMulti(ctx context.Context) error {
	h, expired, err := l.beginRelease()
	if err != nil {
		return err
	}
	ok, offered, err := l.releasePermit(ctx, h, !expired)
	if err := l.endRelease(h, expired, ok, err); err != nil {
		return err
	}
	if !offered { // an offered head has been woken
		l.b.wakeHead(l.name)
	}
	return nil
}

func (l *Lock) extendMulti(ctx context.Context, token string, ttl time.Duration) (bool, error) {
	return redisscript.ExtendMulti(ctx, l.b.scripts, l.key, token, ttl)
}

func (l *Lock) freeMulti(ctx context.Context, h *hold) error {
	_, err := redisscript.ReleaseMulti(ctx, l.b.scripts, l.key, l.fenceKey, l.queue, h.token, l.channel, l.b.publish, h.fence)
	return err
}
