package lease

import (
	"context"
	"errors"
	"time"

	"github.com/batonlock/baton/internal/vocab"
	"github.com/batonlock/baton/lock"
)

// Attempt is one Acquire call on a Handle: what ends its waits, and why it failed.
// Handle.Acquire makes it; the backend's own attempt type embeds it, tries the server and
// sleeps between tries with Sleep.
type Attempt[D any] struct {
	H       *Handle[D]
	Ctx     context.Context
	TryCtx  context.Context // Ctx, bounded by the blocking window: a try must not outlast it
	NoWait  bool
	LastErr error // the last server error, cleared by a good reply; Fail joins it

	window <-chan time.Time // the blocking window ended; nil for Forever and NoWait
	timer  *time.Timer      // reused for every sleep
	stop   func()           // frees the window's timer and TryCtx
	took   bool             // the attempt took the handle's semaphore
	waits  bool             // lock.Waiting was reported
}

// begin starts an Acquire that began at start: it sets the blocking window and takes the
// handle (one Acquire or hold at a time, as with a sync.Mutex), waiting for it as the
// window allows. On success the caller must call end with the attempt's outcome.
func (l *Handle[D]) begin(ctx context.Context, start time.Time) (*Attempt[D], error) {
	if l.closed() {
		return nil, l.Errorf("acquire", lock.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return nil, l.Errorf("acquire", err)
	}
	a := &Attempt[D]{H: l, Ctx: ctx, TryCtx: ctx, NoWait: l.Opts.Blocking == lock.NoWait, stop: func() {}}
	if l.Opts.Blocking > 0 {
		end := start.Add(l.Opts.Blocking)
		w := time.NewTimer(time.Until(end))
		a.window = w.C
		tryCtx, cancel := context.WithDeadline(ctx, end)
		a.TryCtx = tryCtx
		a.stop = func() { w.Stop(); cancel() }
	}
	select {
	case l.Sem <- struct{}{}:
		a.took = true
		return a, nil
	default:
	}
	err := a.Fail(lock.ErrNotAcquired)
	if !a.NoWait {
		a.Waiting() // behind this handle's own hold or Acquire, as on a sync.Mutex
		err = a.sleep(nil, -1, l.Sem)
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
func (a *Attempt[D]) end(err error) {
	a.stop()
	if a.timer != nil {
		a.timer.Stop()
	}
	if err != nil && a.took {
		<-a.H.Sem
	}
}

// WaitTurn waits until turn is closed: the attempt is the first of its process's waiters on
// the name. NoWait does not wait: it fails with lock.ErrNotAcquired.
func (a *Attempt[D]) WaitTurn(turn <-chan struct{}) error {
	select {
	case <-turn:
		return nil
	default:
	}
	if a.NoWait {
		return a.Fail(lock.ErrNotAcquired)
	}
	a.Waiting()
	return a.sleep(turn, -1, nil)
}

// Waiting reports lock.Waiting to the handle's observer the first time the attempt finds
// the name held and is about to wait: a backend calls it once its waiter has its place in
// line, so whoever sees the event can count on that place.
func (a *Attempt[D]) Waiting() {
	if a.waits {
		return
	}
	a.waits = true
	a.H.Opts.Notify(lock.Event{Kind: lock.Waiting, Name: a.H.Name})
}

// Sleep waits for wake (nil: never) or for d (< 0: for ever), unless the attempt ends
// first: its ctx or window ends, or the backend closes.
func (a *Attempt[D]) Sleep(wake <-chan struct{}, d time.Duration) error { return a.sleep(wake, d, nil) }

// sleep is Sleep that also ends when it can send on take (nil: never).
func (a *Attempt[D]) sleep(wake <-chan struct{}, d time.Duration, take chan<- struct{}) error {
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
	case <-a.Ctx.Done():
		return a.Fail(a.Ctx.Err())
	case <-a.window:
		return a.Fail(lock.ErrNotAcquired)
	case <-a.H.B.Done():
		return a.Fail(lock.ErrClosed)
	}
	return nil
}

// Fail returns the error of an attempt that ended for reason, joined with the last server
// error, which may be why the lock could not be taken. An ended blocking window
// (lock.ErrNotAcquired) says how long the attempt waited, as on every backend.
func (a *Attempt[D]) Fail(reason error) error {
	if reason == lock.ErrNotAcquired {
		return vocab.NotAcquired(a.H.Name, a.H.Opts.Blocking, a.LastErr)
	}
	return a.H.Errorf("acquire", errors.Join(reason, a.LastErr))
}
