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
	"os"
	"sync"
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
	// Owner is the label stored with every hold, for Inspect. Resolve turns "" (the zero
	// value) into DefaultOwner(): "<hostname>/<pid>".
	Owner string
	// Permits is how many holds of the name may exist at once (a counting semaphore).
	// Resolve turns 0 (the zero value) into 1, a plain mutex.
	Permits int
	// Shared makes the lock's holds shared (read) holds: any number at once, none beside an
	// exclusive one. false (the default) is an exclusive hold.
	Shared bool
	// Bad is the error of an option that was wrong as given (WithPermits(0), a bad WithOwner
	// label), which the struct alone cannot show; Validate reports it. nil by default.
	Bad error
}

// Default returns the defaults every backend starts from: no timeout, wait forever.
func Default() Options {
	return Options{Timeout: 0, Blocking: Forever, Owner: DefaultOwner(), Permits: 1}
}

// DefaultOwner is the owner label of a hold whose lock has no WithOwner: "<hostname>/<pid>",
// which tells an operator which process holds a name.
func DefaultOwner() string { return defaultOwner() }

var defaultOwner = sync.OnceValue(func() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown-host"
	}
	return fmt.Sprintf("%s/%d", host, os.Getpid())
})

// Normalize fills in the zero values that stand for a default: Owner and Permits.
func (o *Options) Normalize() {
	if o.Owner == "" {
		o.Owner = DefaultOwner()
	}
	if o.Permits == 0 {
		o.Permits = 1
	}
}

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
	if o.Bad != nil {
		return o.Bad
	}
	if o.Permits < 0 {
		return Invalidf("permits %d is negative (a lock needs at least 1)", o.Permits)
	}
	if o.Shared && o.Permits > 1 {
		return Invalidf("WithShared with WithPermits(%d): a shared hold already admits any number of readers beside each other and none beside a writer, so a permit count has no meaning for it", o.Permits)
	}
	return nil
}
