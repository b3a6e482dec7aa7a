package redis

import (
	"context"
	"errors"
	"time"

	"github.com/batonlock/baton/internal/vocab"
	"github.com/batonlock/baton/lock"
)

// attempt is one Acquire call: what ends its waits and why it failed (this file), and how
// it contends for the lock (acquire.go, multi.go): the owner token it tries with, and the
// waiter's places in its process's queue on the name (queue.go) and in the lock's queue
// on the server (grant.go). Lock.acquire starts it with begin and ends it with end.
type attempt struct {
	l       *Lock
	ctx     context.Context
	tryCtx  context.Context // ctx, bounded by the blocking window: a try must not outlast it
	noWait  bool
	lastErr error // the last server error, cleared by a good reply; fail joins it

	window <-chan time.Time // the blocking window ended; nil for Forever and NoWait
	timer  *time.Timer      // reused for every sleep
	stop   func()           // frees the window's timer and tryCtx
	took   bool             // the attempt took the handle's semaphore
	waits  bool             // lock.Waiting was reported

	w      *waiter       // its place in its process's queue on the name (enterLine)
	token  string        // redisscript.Token: fresh random bits and the owner label, per attempt (N nodes: per try)
	ttl    time.Duration // of the hold it takes
	unsure bool          // a try may have taken the lock or a hold (or queued) without our knowing
	// lostReply: a write with the attempt's token got no reply and may still land; a hold
	// the attempt takes is then not passed on in memory (hold.quiet).
	lostReply  bool
	subscribed bool          // the name's channel is subscribed (or confirmed before the first try)
	backoff    time.Duration // after a server error, or a try the nodes could not decide
	tries      uint64        // tries sent, which number them
	recorded   bool          // the token is recorded for Close to withdraw (queue)
	queued     bool          // a try put the waiter's token in the queue
	last       uint64        // the last try that wrote its entry and was answered
	sent       time.Time     // when that try was sent
	grant      time.Duration // the TTL a grant gives the key
	refresh    time.Duration // how often a queued waiter refreshes its entry
	life       time.Duration // how long the entry lives after a try
}

// begin starts an Acquire that began at start: it sets the blocking window and takes the
// handle (one Acquire or hold at a time, as with a sync.Mutex), waiting for it as the
// window allows. On success the caller must call end with the attempt's outcome.
func (l *Lock) begin(ctx context.Context, start time.Time) (*attempt, error) {
	if l.b.isClosed() {
		return nil, l.errorf("acquire", lock.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return nil, l.errorf("acquire", err)
	}
	a := &attempt{l: l, ctx: ctx, tryCtx: ctx, noWait: l.opts.Blocking == lock.NoWait, stop: func() {}}
	if l.opts.Blocking > 0 {
		end := start.Add(l.opts.Blocking)
		w := time.NewTimer(time.Until(end))
		a.window = w.C
		tryCtx, cancel := context.WithDeadline(ctx, end)
		a.tryCtx = tryCtx
		a.stop = func() { w.Stop(); cancel() }
	}
	select {
	case l.sem <- struct{}{}:
		a.took = true
		return a, nil
	default:
	}
	err := a.fail(lock.ErrNotAcquired)
	if !a.noWait {
		a.waiting() // behind this handle's own hold or Acquire, as on a sync.Mutex
		err = a.sleepOrTake(nil, -1, l.sem)
	}
	a.took = err == nil
	if err != nil {
		a.end(err)
		return nil, err
	}
	return a, nil
}

// end ends the attempt: err is its outcome. A failed attempt frees the handle it took; a
// successful one left it to the hold it made.
func (a *attempt) end(err error) {
	a.stop()
	if a.timer != nil {
		a.timer.Stop()
	}
	if err != nil && a.took {
		<-a.l.sem
	}
}

// waitTurn waits until turn is closed: the attempt is the first of its process's waiters on
// the name. NoWait does not wait: it fails with lock.ErrNotAcquired.
func (a *attempt) waitTurn(turn <-chan struct{}) error {
	select {
	case <-turn:
		return nil
	default:
	}
	if a.noWait {
		return a.fail(lock.ErrNotAcquired)
	}
	a.waiting()
	return a.sleepOrTake(turn, -1, nil)
}

// Waiting reports lock.Waiting to the handle's observer the first time the attempt finds
// the name held and is about to wait: a backend calls it once its waiter has its place in
// line, so whoever sees the event can count on that place.
func (a *attempt) waiting() {
	if a.waits {
		return
	}
	a.waits = true
	a.l.opts.Notify(lock.Event{Kind: lock.Waiting, Name: a.l.name})
}

// sleep waits for wake (nil: never) or for d (< 0: for ever), unless the attempt ends
// first: its ctx or window ends, or the backend closes.
func (a *attempt) sleep(wake <-chan struct{}, d time.Duration) error {
	return a.sleepOrTake(wake, d, nil)
}

// sleep is sleep that also ends when it can send on take (nil: never).
func (a *attempt) sleepOrTake(wake <-chan struct{}, d time.Duration, take chan<- struct{}) error {
	var expired <-chan time.Time
	if d >= 0 {
		if a.timer == nil {
			a.timer = time.NewTimer(d)
		} else {
			a.timer.Reset(d)
		}
		defer a.timer.Stop()
		expired = a.timer.C
	}
	select {
	case <-wake:
	case <-expired:
	case take <- struct{}{}:
	case <-a.ctx.Done():
		return a.fail(a.ctx.Err())
	case <-a.window:
		return a.fail(lock.ErrNotAcquired)
	case <-a.l.b.done:
		return a.fail(lock.ErrClosed)
	}
	return nil
}

// fail returns the error of an attempt that ended for reason, joined with the last server
// error, which may be why the lock could not be taken. An ended blocking window
// (lock.ErrNotAcquired) says how long the attempt waited, as on every backend.
func (a *attempt) fail(reason error) error {
	if reason == lock.ErrNotAcquired {
		return vocab.NotAcquired(a.l.name, a.l.opts.Blocking, a.lastErr)
	}
	return a.l.errorf("acquire", errors.Join(reason, a.lastErr))
}

// Backoff between tries that failed because the server or the nodes could not answer.
const (
	minRetry = 10 * time.Millisecond
	maxRetry = time.Second
)

// nextBackoff doubles a retry backoff, from minRetry up to maxRetry.
func nextBackoff(d time.Duration) time.Duration { return min(max(2*d, minRetry), maxRetry) }

// enterLine puts the attempt at the back of its process's queue of waiters on the name, as
// a.w, and waits for its turn at the head (queue.go). The caller must call leaveLine with
// the hold it took, if it did not fail here.
func (a *attempt) enterLine() error {
	l := a.l
	a.w = l.b.enqueue(l.name)
	if err := a.waitTurn(a.w.turn); err != nil {
		l.b.dequeue(l.name, l.channel, a.w, 0)
		return err
	}
	return nil
}

// leaveLine takes a.w out of the queue and hands the turn on, with the TTL of h, the hold
// the attempt took (nil: none).
func (a *attempt) leaveLine(h *hold) {
	var took time.Duration
	if h != nil {
		took = h.ttl
	}
	a.l.b.dequeue(a.l.name, a.l.channel, a.w, took)
}

// cut returns the error of an attempt whose try failed because its ctx or blocking window
// ended (noAnswer says why, unless a server error came before), or nil when neither did.
func (a *attempt) cut(noAnswer error) error {
	switch {
	case a.ctx.Err() != nil:
		return a.fail(a.ctx.Err())
	case a.tryCtx.Err() != nil:
		if a.lastErr == nil {
			a.lastErr = noAnswer // keep the last real error, not the window's deadline
		}
		return a.fail(lock.ErrNotAcquired)
	}
	return nil
}

// untilExpiry is how long a waiter sleeps on a key that has pttl left: until just past it,
// or a lease for a key without a TTL (someone else's, set by hand).
func (l *Lock) untilExpiry(pttl time.Duration) time.Duration {
	if pttl < 0 {
		return l.b.cfg.lease
	}
	return pttl + time.Millisecond
}
