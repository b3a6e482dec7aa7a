package future

import (
	"context"
	"sync"
)

// runsOn says which outcomes of its source a stage's body is called for; the others pass
// through to the stage's future unchanged.
type runsOn uint8

const (
	onValue runsOn = iota // Then, AndThen: errors pass through
	onError               // Recover: values pass through (the stage's T and U are the same)
	onBoth                // Handle
)

// phase is where a stage is in its life. It only moves forward.
type phase uint8

const (
	waitSource phase = iota // registered on src, nothing running
	running                 // body running on its own goroutine
	waitInner               // body returned a future; registered on it
	over                    // out settled, or about to be
)

// stage is the one machine behind Then, AndThen, Recover and Handle: a callback registered
// on src that starts body on its own goroutine, then settles out with what body returned,
// or with the future body returned once that settles. No goroutine exists while it waits.
type stage[T, U any] struct {
	src   *Future[T]
	out   *Future[U]
	runs  runsOn
	body  func(ctx context.Context, v T, err error) (*Future[U], U, error)
	mu    sync.Mutex
	phase phase
	srcW  *waiter
	inner *Future[U]
	// innerW is the registration on inner; nil until set, which Cancel tolerates (the
	// callback then finds the stage over and returns).
	innerW *waiter
	// cancelled: Cancel came while body ran; a future body returns then is not waited for.
	cancelled bool
	// ctx is body's context: a stage has no parent ctx to follow, so a scope (see Go) serves, inside
	// the stage's own allocation.
	ctx scope
}

func newStage[T, U any](src *Future[T], runs runsOn, body func(context.Context, T, error) (*Future[U], U, error)) *Future[U] {
	if src == nil {
		return Rejected[U](ErrNilFuture)
	}
	s := &stage[T, U]{src: src, runs: runs, body: body}
	s.out = &Future[U]{cancel: s}
	w := src.onSettle(s.sourceSettled)
	s.mu.Lock()
	if s.phase == waitSource {
		s.srcW = w
	}
	s.mu.Unlock()
	return s.out
}

func (s *stage[T, U]) sourceSettled() {
	s.mu.Lock()
	if s.phase != waitSource { // cancelled
		s.mu.Unlock()
		return
	}
	v, err, _ := s.src.Peek()
	// Drop what is no longer needed, so that the last future of a long chain does not keep
	// every earlier one alive.
	s.src, s.srcW = nil, nil
	if pass := (err == nil && s.runs == onError) || (err != nil && s.runs == onValue); pass {
		s.phase = over
		s.mu.Unlock()
		var u U
		if err == nil {
			u, _ = any(v).(U) // onError stages have U == T; a nil interface value stays the zero U
		}
		s.out.settle(u, err)
		return
	}
	s.ctx.Context = context.Background()
	s.phase = running
	s.mu.Unlock()
	go s.run(&s.ctx, v, err)
}

// run calls body and hands what it returned to finish, catching panics and Goexit.
func (s *stage[T, U]) run(ctx context.Context, v T, err error) {
	var (
		inner    *Future[U]
		u        U
		uerr     error
		returned bool
	)
	defer func() {
		if !returned {
			inner, uerr = nil, recovered(recover())
		}
		s.finish(inner, u, uerr)
	}()
	body := s.body
	s.body = nil // only this goroutine reads body once the stage runs
	inner, u, uerr = body(ctx, v, err)
	returned = true
}

func (s *stage[T, U]) finish(inner *Future[U], u U, err error) {
	s.mu.Lock()
	if inner == nil {
		s.phase = over
		s.mu.Unlock()
		s.ctx.cancel()
		s.out.settle(u, err)
		return
	}
	if s.cancelled {
		// Cancelled while body ran: as if the stage had been waiting for inner already.
		s.phase = over
		s.mu.Unlock()
		s.ctx.cancel()
		var zero U
		s.out.settle(zero, context.Canceled)
		return
	}
	s.phase, s.inner = waitInner, inner
	s.mu.Unlock()
	w := inner.onSettle(s.innerSettled)
	s.mu.Lock()
	if s.phase == waitInner {
		s.innerW = w
	}
	s.mu.Unlock()
}

func (s *stage[T, U]) innerSettled() {
	s.mu.Lock()
	if s.phase != waitInner { // cancelled
		s.mu.Unlock()
		return
	}
	v, err, _ := s.inner.Peek()
	s.phase, s.inner, s.innerW = over, nil, nil
	s.mu.Unlock()
	s.ctx.cancel() // inner has settled: whatever body started under ctx is done with it
	s.out.settle(v, err)
}

// cancel is the out future's Cancel; see Future.Cancel for what each phase does.
func (s *stage[T, U]) cancel() {
	var zero U
	s.mu.Lock()
	switch s.phase {
	case waitSource:
		s.phase = over
		src, w := s.src, s.srcW
		s.src, s.srcW, s.body = nil, nil, nil
		s.mu.Unlock()
		src.unsubscribe(w)
		s.out.settle(zero, context.Canceled)
	case running:
		s.cancelled = true
		s.mu.Unlock()
		s.ctx.cancel()
	case waitInner:
		s.phase = over
		inner, w := s.inner, s.innerW
		s.inner, s.innerW = nil, nil
		s.mu.Unlock()
		inner.unsubscribe(w)
		s.ctx.cancel()
		s.out.settle(zero, context.Canceled)
	default:
		s.mu.Unlock()
	}
}
