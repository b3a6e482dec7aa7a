package future

import (
	"context"
	"sync"
)

// scope is the context Go hands fn when the parent's Done is nil (context.Background,
// context.TODO, values on top of them, context.WithoutCancel): cancellable by Cancel, with
// the parent's deadline (none) and values. Nothing above it can cancel it, so unlike
// context.WithCancel it needs no registration with the parent, and it lives inside the
// Go task's allocation.
//
// Contexts derived from it (context.WithCancel, context.AfterFunc) find its AfterFunc
// method, as the context package looks for one, and register there: no goroutine watches
// it. The zero scope, with Context set, is ready to use.
type scope struct {
	context.Context // the parent: Deadline and Value

	mu     sync.Mutex
	done   chan struct{} // made on demand
	err    error
	afters []*afterScope
}

type afterScope struct{ fn func() }

func (s *scope) Done() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done == nil {
		if s.err != nil {
			return closedChan
		}
		s.done = make(chan struct{})
	}
	return s.done
}

func (s *scope) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *scope) String() string { return "future.Go context" }

// AfterFunc calls fn once s is cancelled (at once if it has been), on the goroutine that
// cancels it; stop unregisters fn and reports whether that kept it from being called. The
// context package calls it for contexts derived from s: their fn only cancels them.
func (s *scope) AfterFunc(fn func()) (stop func() bool) {
	s.mu.Lock()
	if s.err != nil {
		s.mu.Unlock()
		fn()
		return func() bool { return false }
	}
	a := &afterScope{fn: fn}
	s.afters = append(s.afters, a)
	s.mu.Unlock()
	return func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		for i, x := range s.afters {
			if x == a {
				s.afters = append(s.afters[:i], s.afters[i+1:]...)
				return true
			}
		}
		return false
	}
}

// cancel ends s with context.Canceled; later calls do nothing.
func (s *scope) cancel() {
	s.mu.Lock()
	if s.err != nil {
		s.mu.Unlock()
		return
	}
	s.err = context.Canceled
	if s.done != nil {
		close(s.done)
	}
	afters := s.afters
	s.afters = nil
	s.mu.Unlock()
	for _, a := range afters {
		a.fn()
	}
}
