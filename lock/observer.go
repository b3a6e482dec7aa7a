package lock

import (
	"time"

	"github.com/batonlock/baton/internal/lockopt"
)

// EventKind says what happened to a lock.
type EventKind int

// The events a backend reports to an Observer.
const (
	// Acquired: a hold began. Duration is how long Acquire waited.
	Acquired EventKind = iota + 1
	// NotAcquired: Acquire gave up (blocking window, ctx, Close). Duration is how long it
	// waited; Err says why.
	NotAcquired
	// Released: a hold ended with Release. Duration is how long it was held.
	Released
	// Lost: a hold ended without Release (expiry, failed renewal, key taken, Close).
	// Duration is how long it was held; Err says why when known.
	Lost
	// BackendError: a call to the backend's server failed (Op says which). Err is the error.
	BackendError
	// Waiting: an Acquire found the name held and started to wait. Fires before the call
	// sleeps, so a test can wait for it instead of for the clock.
	Waiting
)

func (k EventKind) String() string {
	switch k {
	case Acquired:
		return "acquired"
	case NotAcquired:
		return "not_acquired"
	case Released:
		return "released"
	case Lost:
		return "lost"
	case BackendError:
		return "backend_error"
	case Waiting:
		return "waiting"
	}
	return "unknown"
}

// Event is one thing that happened to a named lock.
type Event struct {
	Kind     EventKind
	Name     string
	Fence    uint64        // the hold's fencing token, when there is a hold
	Duration time.Duration // waited (Acquired, NotAcquired) or held (Released, Lost)
	Op       string        // the failed operation, for BackendError ("acquire", "renew", ...)
	Err      error
}

// Observer receives a backend's events, so that a service can count and time its locks with
// Prometheus, OpenTelemetry or anything else without baton depending on them. Observe is
// called synchronously on the lock's hot path and sometimes under a backend's internal lock:
// it must be quick, must not block and must not call back into the lock.
type Observer interface {
	Observe(Event)
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(Event)

// Observe calls f(e).
func (f ObserverFunc) Observe(e Event) { f(e) }

// WithObserver sends the lock's events to o. nil (the default) reports nothing.
func WithObserver(o Observer) Option {
	return func(opts *lockopt.Options) {
		if o == nil {
			opts.Observer = nil // a nil Observer must not become a non-nil any
			return
		}
		opts.Observer = o
	}
}
