package redis

import (
	"context"
	"crypto/rand"
	"errors"
	"time"

	"github.com/batonlock/baton/lock"
)

// Backoff between tries that failed with a Redis error.
const (
	minRetry = 10 * time.Millisecond
	maxRetry = time.Second
)

var errNoAnswer = errors.New("redis did not answer before the blocking window ended")

// attempt is one Acquire call: what ends its waits, and why it failed.
type attempt struct {
	l       *Lock
	ctx     context.Context
	tryCtx  context.Context // ctx, bounded by the blocking window
	noWait  bool
	window  <-chan time.Time // the blocking window ended; nil for Forever
	timer   *time.Timer      // reused for every sleep
	lastErr error            // the last Redis error, cleared by a good reply
}

func (l *Lock) acquire(ctx context.Context, start time.Time) (*hold, error) {
	if l.b.isClosed() {
		return nil, l.errorf("acquire", lock.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return nil, l.errorf("acquire", err)
	}
	a := &attempt{l: l, ctx: ctx, tryCtx: ctx, noWait: l.opts.Blocking == lock.NoWait}
	if l.opts.Blocking > 0 {
		end := start.Add(l.opts.Blocking)
		w := time.NewTimer(time.Until(end))
		defer w.Stop()
		a.window = w.C
		var cancel context.CancelFunc
		a.tryCtx, cancel = context.WithDeadline(ctx, end) // a try must not outlast the window
		defer cancel()
	}
	// The handle is a mutex of its own: one Acquire or hold at a time.
	select {
	case l.sem <- struct{}{}:
	default:
		if a.noWait {
			return nil, a.fail(lock.ErrNotAcquired)
		}
		select {
		case l.sem <- struct{}{}:
		case <-ctx.Done():
			return nil, a.fail(ctx.Err())
		case <-a.window:
			return nil, a.fail(lock.ErrNotAcquired)
		case <-l.b.done:
			return nil, a.fail(lock.ErrClosed)
		}
	}
	h, err := l.contend(a)
	if err != nil {
		<-l.sem
		return nil, err
	}
	return h, nil
}

// contend waits for the turn of this Acquire among the process's waiters on the name, then
// tries Redis until it gets the lock or the attempt ends.
func (l *Lock) contend(a *attempt) (h *hold, err error) {
	w := l.b.enqueue(l.name)
	defer func() {
		var took time.Duration
		if h != nil {
			took = h.ttl
		}
		l.b.dequeue(l, w, took)
	}()
	if !isClosed(w.turn) {
		if a.noWait {
			return nil, a.fail(lock.ErrNotAcquired)
		}
		if err := a.sleep(w.turn, -1); err != nil {
			return nil, err
		}
	}
	a.timer = time.NewTimer(time.Hour)
	defer a.timer.Stop()

	ttl := l.opts.Timeout
	if ttl == 0 {
		ttl = l.b.cfg.Lease
	}
	token := rand.Text() // 128 random bits, fresh for every acquisition
	unsure := false      // a try may have taken the lock without our knowing
	defer func() {
		if err != nil && unsure {
			l.b.undo(l, token)
		}
	}()
	// When the name's channel was confirmed before the first try, no release after that
	// try can go unheard, so there is no need to subscribe and try again.
	subscribed := isClosed(l.b.confirmed(l))
	if w.after > 0 && subscribed {
		// The waiter before this one has just taken the lock: its Release will pass the
		// lock here, wake this waiter or publish, so sleep at once instead of trying.
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
		sent := time.Now()
		ok, fence, pttl, err := l.tryAcquire(a.tryCtx, token, ttl)
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
			l.backendError("acquire", err)
			if a.noWait {
				return nil, a.fail(lock.ErrNotAcquired)
			}
			backoff = min(max(2*backoff, minRetry), maxRetry)
			if err := a.sleep(nil, backoff); err != nil {
				return nil, err
			}
			continue
		case ok:
			return l.newHold(token, fence, ttl, sent)
		}
		a.lastErr, backoff = nil, 0
		if a.noWait {
			return nil, a.fail(lock.ErrNotAcquired)
		}
		sleep := l.b.cfg.Lease // the key has no TTL: someone else's, set by hand
		if pttl >= 0 {
			sleep = pttl + time.Millisecond
		}
		if !subscribed {
			// Subscribe, wait for the server to confirm, then try again: from then on no
			// release can go unheard.
			subscribed = true
			err = a.sleep(l.b.subscribe(l), sleep)
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

// nap sleeps as the parked head w until it is woken, passed the lock, or d has passed.
// done is true when contend must return h, err.
func (l *Lock) nap(a *attempt, w *waiter, token string, ttl, d time.Duration, unsure *bool) (h *hold, done bool, err error) {
	l.b.park(l, w, token, ttl)
	err = a.sleep(w.wake, d)
	if o := l.b.unpark(w); o != nil {
		<-o.done // the Release that passes the lock is one round trip from done, or none
		if o.ok {
			if o.token != "" {
				token = o.token // the key stays in the process's hands: keep its owner token
			}
			h, err = l.newHold(token, o.fence, ttl, o.sent)
			return h, true, err
		}
		*unsure = *unsure || o.err != nil
	}
	return nil, err != nil, err
}

// sleep waits for wake (nil: never) or d (< 0: for ever), unless the attempt ends first.
func (a *attempt) sleep(wake <-chan struct{}, d time.Duration) error {
	var expired <-chan time.Time
	if d >= 0 {
		a.timer.Reset(d)
		defer a.timer.Stop()
		expired = a.timer.C
	}
	select {
	case <-wake:
	case <-expired:
	case <-a.ctx.Done():
		return a.fail(a.ctx.Err())
	case <-a.window:
		return a.fail(lock.ErrNotAcquired)
	case <-a.l.b.done:
		return a.fail(lock.ErrClosed)
	}
	return nil
}

// fail returns the error of an attempt that ended for reason, joined with the last Redis
// error, which may be the reason the lock could not be taken.
func (a *attempt) fail(reason error) error {
	return a.l.errorf("acquire", errors.Join(reason, a.lastErr))
}

// undo frees the lock, in the background, after a try whose reply was lost, in case it
// took the lock. Close cuts it short.
func (b *Backend) undo(l *Lock, token string) {
	if !b.enter() {
		return
	}
	go func() {
		defer b.wg.Done()
		ctx, cancel := context.WithTimeout(b.ctx, time.Second)
		defer cancel()
		_, _ = l.runRelease(ctx, token)
	}()
}
