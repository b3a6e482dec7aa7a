// Package lockopt holds what package lock and package lock/driver both need: the options
// struct a lock.Option changes, the ErrInvalid sentinel and its constructor, the query-key
// parsers, URL redaction and the scheme table. It exists so that lock can show only what a
// service calls, while lock/driver (which imports lock) re-exports the plumbing for drivers;
// lock cannot import lock/driver, so the shared pieces live below both.
package lockopt

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"
)

// Forever is lock.Forever (a compile-time check in package lock keeps the two equal).
const Forever time.Duration = math.MinInt64

// MinTimeout is lock.MinTimeout (a compile-time check in package lock keeps the two equal).
const MinTimeout = time.Millisecond

// ErrInvalid is lock.ErrInvalid.
var ErrInvalid = errors.New("lock: invalid argument")

// Invalidf returns an error that wraps ErrInvalid with a message saying what was wrong.
func Invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

// Options are the settings of one lock; lock/driver documents them as driver.Options.
type Options struct {
	// Timeout frees the lock this long after it was acquired. 0 (the default) holds it
	// until Release; on Redis such a hold is kept alive by a renewed lease.
	Timeout time.Duration
	// Blocking is how long Acquire waits: NoWait, Forever (the default) or a positive duration.
	Blocking time.Duration
	// Logger receives lost holds and backend errors. nil (the default) means slog.Default().
	Logger *slog.Logger
	// Observer is the lock.Observer that receives the lock's events, or nil (the default).
	// It is typed any because this package cannot import lock; lock.WithObserver is the
	// only writer, and driver.Options.Notify the only reader.
	Observer any
}

// Default returns the defaults every backend starts from: no timeout, wait forever.
func Default() Options { return Options{Timeout: 0, Blocking: Forever} }

// Validate checks that the durations are in range.
func (o Options) Validate() error {
	if o.Timeout < 0 {
		return Invalidf("timeout %v is negative (use 0 to hold until Release)", o.Timeout)
	}
	if o.Timeout > 0 && o.Timeout < MinTimeout {
		return Invalidf("timeout %v is shorter than lock.MinTimeout (%v), Redis's expiry resolution (use 0 to hold until Release)", o.Timeout, MinTimeout)
	}
	if o.Blocking < 0 && o.Blocking != Forever {
		return Invalidf("blocking %v is negative (use lock.NoWait, lock.Forever or a positive duration)", o.Blocking)
	}
	return nil
}
