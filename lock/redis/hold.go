package lease

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/batonlock/baton/internal/vocab"
	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/driver"
)

// Backend is what a Handle needs of the backend that made it.
type Backend[D any] interface {
	Enter() bool              // registers background work that Close waits for; false once closed
	Leave()                   // ends the work Enter registered
	Context() context.Context // the context of background work, cancelled by Close
	Done() <-chan struct{}    // closed by Close
	AddHold(h *Hold[D]) bool  // registers a new hold; false once closed
	DropHold(h *Hold[D])
	WakeHead(name string) // tells this process's first waiter on name to try again
}

// State is where a hold is in its life.
type State int

// The states of a hold.
const (
	Active State = iota
	Releasing
	Released
	Lost
)

// retryFloor is the shortest pause before a renewal that failed with a server error is
// tried again.
const retryFloor = 10 * time.Millisecond

// Handle is the state of a lock handle that both Redis backends share: its name, options
// and current hold, and the server call that renews a hold. D is what a backend keeps
// with each hold of its own. The fields are set once, by NewLock, but Mu and Cur.
type Handle[D any] struct {
	Name string
	Kind string // "redis" or "quorum"
	Opts driver.Options
	Sem  chan struct{} // full while an Acquire or a hold owns the handle
	B    Backend[D]
	Cfg  *Settings
	// Renew runs the compare-and-PEXPIRE of token for ttl; false: token no longer holds it.
	Renew func(ctx context.Context, token string, ttl time.Duration) (bool, error)
	// Free runs the compare-and-delete of h's key for Close (CloseHolds); nil: Close
	// leaves the key to expire.
	Free func(ctx context.Context, h *Hold[D]) error
	// Why a hold is lost: its key was deleted or taken, or no renewal came in time.
	ErrTaken, ErrNotRenewed error

	Mu  sync.Mutex
	Cur *Hold[D] // the current or last hold
}

// Hold is one acquisition: its token, its fence, and the deadline past which it counts as
// lost. The deadline is the server's expiry seen from this process (the time the request
// was sent plus the TTL) minus the drift margin, so Lost closes before the key can expire.
type Hold[D any] struct {
	H      *Handle[D]
	Token  string
	Fence  uint64
	Leased bool          // no timeout: renewed until Release
	TTL    time.Duration // the lease or the timeout
	Start  time.Time
	Data   D // the backend's own
	lost   chan struct{}
	op     sync.Mutex // one renewal or Extend at a time

	// guarded by H.Mu
	State     State
	Deadline  time.Time
	Confirmed time.Time     // when the last write that set the key's TTL was sent
	KeyTTL    time.Duration // the TTL it set: TTL or more, or less for a grant
	until     time.Time     // Extend asked for the hold to last until then
	expiry    *time.Timer   // fires at the deadline; nil until a lease's first renewal
	renewal   *time.Timer   // fires when the lease is due for renewal; nil with a timeout
	hooks     map[int]func()
	nextHook  int
}

// NewHold records the hold a successful try made and starts keeping it alive: the write
// sent at sent set the key's TTL to keyTTL (ttl, but for a grant). After Close it returns
// lock.ErrClosed, and the key is left to expire: Close has already freed the holds it knew.
func (l *Handle[D]) NewHold(token string, fence uint64, ttl time.Duration, sent time.Time, keyTTL time.Duration, data D) (*Hold[D], error) {
	h := &Hold[D]{
		H:         l,
		Token:     token,
		Fence:     fence,
		Leased:    l.Opts.Timeout == 0,
		TTL:       ttl,
		Start:     time.Now(),
		Data:      data,
		lost:      make(chan struct{}),
		Deadline:  l.Cfg.Deadline(sent, keyTTL),
		Confirmed: sent,
		KeyTTL:    keyTTL,
	}
	l.Mu.Lock()
	ok := l.B.AddHold(h)
	if ok {
		l.Cur = h
		// Timers, not a goroutine per hold: a hold that is released before its first
		// renewal costs no scheduling at all. A lease whose renewal is due before its
		// deadline arms the expiry timer when the renewal starts (renewDue): until then
		// the deadline cannot pass, and a hold released before that costs one timer, not
		// two. Each timer started costs the Go runtime a wake-up of an idle thread.
		if h.Leased {
			next := l.Cfg.NextRenewal(min(h.TTL, keyTTL), sent)
			h.renewal = time.AfterFunc(next, h.renewDue)
			if next >= time.Until(h.Deadline) {
				h.armExpiry()
			}
		} else {
			h.armExpiry()
		}
	}
	l.Mu.Unlock()
	if !ok {
		return nil, l.Errorf("acquire", lock.ErrClosed)
	}
	return h, nil
}

// expired runs at the deadline: the hold is lost unless Extend or a renewal moved it.
func (h *Hold[D]) expired() {
	l := h.H
	if !l.B.Enter() {
		return
	}
	defer l.B.Leave()
	if !l.Lose(h, h.ExpiredCause(), true) {
		h.rearm(-1)
	}
}

// renewDue runs one renewal and schedules the next.
func (h *Hold[D]) renewDue() {
	l := h.H
	if !l.B.Enter() {
		return
	}
	defer l.B.Leave()
	h.rearm(-1) // the deadline can pass while the renewal waits for its reply
	if next, ended := h.renew(); !ended {
		h.rearm(next)
	}
}

// rearm sets the expiry timer to the deadline and, if next >= 0, the renewal timer to next.
func (h *Hold[D]) rearm(next time.Duration) {
	h.H.Mu.Lock()
	defer h.H.Mu.Unlock()
	if h.State != Active {
		return
	}
	h.armExpiry()
	if next >= 0 && h.renewal != nil {
		h.renewal.Reset(next)
	}
}

// armExpiry sets the expiry timer to the deadline, and starts it the first time; H.Mu is
// held.
func (h *Hold[D]) armExpiry() {
	if h.expiry == nil {
		h.expiry = time.AfterFunc(time.Until(h.Deadline), h.expired)
		return
	}
	h.expiry.Reset(time.Until(h.Deadline))
}

// StopTimers ends the hold's timers; H.Mu is held and the hold is no longer active.
func (h *Hold[D]) StopTimers() {
	if h.expiry != nil {
		h.expiry.Stop()
	}
	if h.renewal != nil {
		h.renewal.Stop()
	}
}

// renew runs one renewal and returns when to run the next one; ended is true when the hold
// is over.
func (h *Hold[D]) renew() (next time.Duration, ended bool) {
	l := h.H
	h.op.Lock()
	defer h.op.Unlock()
	l.Mu.Lock()
	if h.State != Active {
		l.Mu.Unlock()
		return 0, true
	}
	deadline := h.Deadline
	ttl := max(h.TTL, time.Until(h.until))
	l.Mu.Unlock()

	// A reply that comes after the deadline is no use: the hold is lost by then.
	ctx, cancel := context.WithDeadline(l.B.Context(), deadline)
	sent := time.Now()
	ok, err := l.Renew(ctx, h.Token, ttl)
	cancel()
	switch {
	case err == nil && ok:
		l.Mu.Lock()
		if h.State == Active {
			h.Deadline = l.Cfg.Deadline(sent, ttl)
			h.Confirmed, h.KeyTTL = sent, ttl
		}
		l.Mu.Unlock()
		return l.Cfg.NextRenewal(h.TTL, sent), false
	case err == nil:
		l.Lose(h, l.ErrTaken, false)
		return 0, true
	case l.closed():
		return 0, true // Close marks the hold lost
	}
	l.BackendError("renew", err)
	if l.Lose(h, fmt.Errorf("%w: %w", l.ErrNotRenewed, err), true) {
		return 0, true
	}
	return min(max(time.Until(deadline)/4, retryFloor), l.Cfg.RenewEvery(h.TTL)), false
}

// Lose marks h lost, when it is still active (and, if onlyExpired, past its deadline): it
// closes Lost, runs the AfterLost hooks and frees the handle. It reports whether it did.
func (l *Handle[D]) Lose(h *Hold[D], cause error, onlyExpired bool) bool {
	l.Mu.Lock()
	if h.State != Active || (onlyExpired && time.Now().Before(h.Deadline)) {
		l.Mu.Unlock()
		return false
	}
	h.MarkLost(cause)
	<-l.Sem
	l.Mu.Unlock()
	l.B.DropHold(h)
	l.logLost(h, cause)
	l.B.WakeHead(l.Name) // the key is gone, or will be within the drift margin
	return true
}

// MarkLost reports the loss, closes Lost and runs the AfterLost hooks, in that order, so
// that whoever sees Lost closed also finds the event; H.Mu is held.
func (h *Hold[D]) MarkLost(cause error) (held time.Duration) {
	l := h.H
	h.State = Lost
	h.StopTimers()
	held = time.Since(h.Start)
	l.Opts.Notify(lock.Event{Kind: lock.Lost, Name: l.Name, Fence: h.Fence, Duration: held, Err: cause})
	close(h.lost)
	for _, fn := range h.hooks {
		fn()
	}
	h.hooks = nil
	return held
}

func (l *Handle[D]) logLost(h *Hold[D], cause error) {
	vocab.LogLost(l.Opts.Log(), l.Name, h.Fence, cause)
}

// ExpiredCause says why a hold that reached its deadline is lost.
func (h *Hold[D]) ExpiredCause() error {
	if h.Leased {
		return h.H.ErrNotRenewed
	}
	return vocab.TimeoutEnded(h.TTL)
}

// Acquire runs one Acquire call: it starts an Attempt (the blocking window, the handle's
// semaphore), lets contend wait for and take the lock, and reports the outcome to the
// handle's observer. A failed attempt frees the handle.
func (l *Handle[D]) Acquire(ctx context.Context, contend func(a *Attempt[D]) (*Hold[D], error)) error {
	start := time.Now()
	h, err := l.acquire(ctx, start, contend)
	if err != nil {
		l.Opts.Notify(lock.Event{Kind: lock.NotAcquired, Name: l.Name, Duration: time.Since(start), Err: err})
		return err
	}
	l.Opts.Notify(lock.Event{Kind: lock.Acquired, Name: l.Name, Fence: h.Fence, Duration: h.Start.Sub(start)})
	return nil
}

func (l *Handle[D]) acquire(ctx context.Context, start time.Time, contend func(a *Attempt[D]) (*Hold[D], error)) (h *Hold[D], err error) {
	a, err := l.begin(ctx, start)
	if err != nil {
		return nil, err
	}
	defer func() { a.end(err) }()
	return contend(a)
}

// TTL is how long an acquisition holds the key: the timeout, or the lease without one.
func (l *Handle[D]) TTL() time.Duration {
	if l.Opts.Timeout > 0 {
		return l.Opts.Timeout
	}
	return l.Cfg.Lease
}

// BeginRelease ends the current hold's timers and bookkeeping, for Release to free its key;
// expired is true when its deadline has passed. It returns lock.ErrNotHeld unless the
// handle holds the lock now, and lock.ErrClosed after Close.
func (l *Handle[D]) BeginRelease() (h *Hold[D], expired bool, err error) {
	if l.closed() {
		return nil, false, l.Errorf("release", lock.ErrClosed)
	}
	l.Mu.Lock()
	h = l.Cur
	if h == nil || h.State != Active {
		l.Mu.Unlock()
		return nil, false, l.Errorf("release", lock.ErrNotHeld)
	}
	expired = !time.Now().Before(h.Deadline)
	h.State = Releasing
	h.StopTimers()
	l.Mu.Unlock()
	l.B.DropHold(h)
	return h, expired, nil
}

// EndRelease ends the Release of h, after the server call that freed its key (ok: the key
// was this hold's; err: the call failed), and frees the handle. It returns nil when h was
// released; lock.ErrNotHeld when the hold had expired or the key was not its own; when the
// call failed, the server's error joined with lock.ErrLost. In all but the first case h is
// lost: its Lost channel closes, rather than the hold ending silently with its key still set.
func (l *Handle[D]) EndRelease(h *Hold[D], expired, ok bool, err error) error {
	l.Mu.Lock()
	cause := l.releaseCause(h, expired, ok, err)
	var held time.Duration
	if cause != nil {
		held = h.MarkLost(cause)
	} else {
		h.State = Released
		h.hooks = nil
		held = time.Since(h.Start)
	}
	<-l.Sem
	l.Mu.Unlock()

	switch {
	case cause != nil && err != nil && !expired:
		l.BackendError("release", err)
		l.logLost(h, cause)
		return l.releaseError(h, err)
	case cause != nil:
		l.logLost(h, cause)
		return l.Errorf("release", lock.ErrNotHeld)
	}
	l.Opts.Notify(lock.Event{Kind: lock.Released, Name: l.Name, Fence: h.Fence, Duration: held})
	return nil
}

// Extend makes the current hold last ttl from now. A hold without a timeout keeps being
// renewed afterwards, and its key never gets less than the lease. It returns lock.ErrInvalid
// for ttl <= 0 and lock.ErrNotHeld when the hold is gone; on a server error the hold is left
// as it was.
func (l *Handle[D]) Extend(ctx context.Context, ttl time.Duration) error {
	if ttl <= 0 {
		return vocab.BadTTL(l.Name, ttl)
	}
	if l.closed() {
		return l.Errorf("extend", lock.ErrClosed)
	}
	h := l.activeHold()
	if h == nil {
		return l.Errorf("extend", lock.ErrNotHeld)
	}
	h.op.Lock()
	defer h.op.Unlock()
	if h.Leased {
		ttl = max(ttl, h.TTL)
	}
	sent := time.Now()
	ok, err := l.Renew(ctx, h.Token, ttl)
	if err != nil {
		l.BackendError("extend", err)
		return l.Errorf("extend", err)
	}
	if !ok {
		l.Lose(h, l.ErrTaken, false)
		return l.Errorf("extend", lock.ErrNotHeld)
	}
	l.Mu.Lock()
	defer l.Mu.Unlock()
	if h.State != Active || !time.Now().Before(h.Deadline) {
		return l.Errorf("extend", lock.ErrNotHeld)
	}
	h.Deadline = l.Cfg.Deadline(sent, ttl)
	h.Confirmed, h.KeyTTL = sent, ttl
	h.until = sent.Add(ttl)
	h.armExpiry()
	return nil
}

// Fence returns the fencing token of the current or last hold, 0 before the first.
func (l *Handle[D]) Fence() uint64 {
	l.Mu.Lock()
	defer l.Mu.Unlock()
	if l.Cur == nil {
		return 0
	}
	return l.Cur.Fence
}

// Lost returns the channel closed when the current hold ends without Release: nil before
// the first hold; after a clean Release it stays open.
func (l *Handle[D]) Lost() <-chan struct{} {
	l.Mu.Lock()
	defer l.Mu.Unlock()
	if l.Cur == nil {
		return nil
	}
	return l.Cur.lost
}

// AfterLost makes fn run, under the handle's lock, at the moment the current hold is
// marked lost; see driver.LossNotifier.
func (l *Handle[D]) AfterLost(fn func()) (stop func() bool) {
	l.Mu.Lock()
	defer l.Mu.Unlock()
	h := l.Cur
	if h == nil || h.State == Released || h.State == Releasing {
		return func() bool { return false }
	}
	if h.State == Lost {
		fn()
		return func() bool { return false }
	}
	id := h.nextHook
	h.nextHook++
	if h.hooks == nil {
		h.hooks = make(map[int]func())
	}
	h.hooks[id] = fn
	return func() bool {
		l.Mu.Lock()
		defer l.Mu.Unlock()
		_, ok := h.hooks[id]
		delete(h.hooks, id)
		return ok
	}
}

func (l *Handle[D]) activeHold() *Hold[D] {
	l.Mu.Lock()
	defer l.Mu.Unlock()
	if h := l.Cur; h != nil && h.State == Active && time.Now().Before(h.Deadline) {
		return h
	}
	return nil
}

func (l *Handle[D]) closed() bool {
	select {
	case <-l.B.Done():
		return true
	default:
		return false
	}
}

// Errorf wraps err, from operation op, with the lock's name, as every backend does.
func (l *Handle[D]) Errorf(op string, err error) error {
	return vocab.Err(l.Name, op, err)
}

// BackendError reports a failed server call to the observer and the log.
func (l *Handle[D]) BackendError(op string, err error) {
	l.Opts.Notify(lock.Event{Kind: lock.BackendError, Name: l.Name, Op: op, Err: err})
	vocab.LogBackendError(l.Opts.Log(), l.Name, op, err)
}
