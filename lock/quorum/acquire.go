package quorum

import (
	"context"
	"crypto/rand"
	"errors"
	mrand "math/rand/v2"
	"time"

	"github.com/batonlock/baton/lock"
)

// Backoff between tries that failed because the nodes could not be reached, and the most a
// waiter sleeps after a split vote (two processes each took some nodes, neither a majority).
const (
	minRetry = 10 * time.Millisecond
	maxRetry = time.Second
	maxSplit = 20 * time.Millisecond
)

var errNoAnswer = errors.New("the nodes did not answer before the blocking window ended")

// attempt is one Acquire call: what ends its waits, and why it failed.
type attempt struct {
	l       *Lock
	ctx     context.Context
	tryCtx  context.Context // ctx, bounded by the blocking window
	noWait  bool
	window  <-chan time.Time // the blocking window ended; nil for Forever
	timer   *time.Timer      // reused for every sleep
	lastErr error            // the node errors of the last try, cleared by a good one
}

func (l *Lock) acquire(ctx context.Context, start time.Time) (*hold, error) {
	if l.b.isClosed() {
		return nil, l.core.Errorf("acquire", lock.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return nil, l.core.Errorf("acquire", err)
	}
	a := &attempt{l: l, ctx: ctx, tryCtx: ctx, noWait: l.core.Opts.Blocking == lock.NoWait}
	if l.core.Opts.Blocking > 0 {
		end := start.Add(l.core.Opts.Blocking)
		w := time.NewTimer(time.Until(end))
		defer w.Stop()
		a.window = w.C
		var cancel context.CancelFunc
		a.tryCtx, cancel = context.WithDeadline(ctx, end)
		defer cancel()
	}
	// The handle is a mutex of its own: one Acquire or hold at a time.
	select {
	case l.core.Sem <- struct{}{}:
	default:
		if a.noWait {
			return nil, a.fail(lock.ErrNotAcquired)
		}
		select {
		case l.core.Sem <- struct{}{}:
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
		<-l.core.Sem
		return nil, err
	}
	return h, nil
}

// contend waits for the turn of this Acquire among the process's waiters on the name, then
// tries the nodes until a majority gives it the lock or the attempt ends.
func (l *Lock) contend(a *attempt) (h *hold, err error) {
	w := l.b.enqueue(l.core.Name)
	defer func() {
		var took time.Duration
		if h != nil {
			took = h.TTL
		}
		l.b.dequeue(l, w, took)
	}()
	a.timer = time.NewTimer(time.Hour)
	defer a.timer.Stop()
	if err := a.sleep(w.turn, -1); err != nil {
		return nil, err
	}
	ttl := l.core.Opts.Timeout
	if ttl == 0 {
		ttl = l.b.cfg.Lease
	}
	subscribed := false
	if w.after > 0 && l.b.confirmed(l) {
		// The waiter before this one has just taken the lock, and its release cannot go
		// unheard: sleep at once instead of trying.
		subscribed = true
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
		heard := subscribed && l.b.confirmed(l)
		t, err := l.tryAcquire(a.tryCtx, token, ttl)
		switch {
		case err != nil && a.ctx.Err() != nil:
			return nil, a.fail(a.ctx.Err())
		case errors.Is(err, lock.ErrClosed):
			return nil, a.fail(lock.ErrClosed)
		case err != nil: // the blocking window ended during the try
			if a.lastErr == nil {
				a.lastErr = errNoAnswer
			}
			return nil, a.fail(lock.ErrNotAcquired)
		case t.ok:
			return l.core.NewHold(token, t.fence, ttl, t.sent, ttl, nodes{raised: t.raised, landed: t.landed})
		}
		a.lastErr = t.err
		if a.noWait {
			return nil, a.fail(lock.ErrNotAcquired)
		}
		if !subscribed {
			// From the time a majority of the nodes has confirmed the subscription, no
			// release can go unheard; each confirmation wakes this waiter to try again.
			subscribed = true
			l.b.subscribe(l)
		}
		var sleep time.Duration
		wake := w.wake
		switch {
		case t.partial && t.held:
			// A split vote: the others' freed nodes publish at once, so a woken waiter
			// would collide again. Back off a random while instead.
			sleep, wake = mrand.N(maxSplit)+time.Millisecond, nil
		case t.held:
			sleep = l.b.cfg.Lease // the key has no TTL: someone else's, set by hand
			if t.pttl >= 0 {
				sleep = t.pttl + time.Millisecond
			}
			backoff = 0
		default: // no majority could answer (what a minority took is being freed)
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

// fail returns the error of an attempt that ended for reason, joined with the node errors
// of the last try, which may be why the lock could not be taken.
func (a *attempt) fail(reason error) error {
	return a.l.core.Errorf("acquire", errors.Join(reason, a.lastErr))
}
