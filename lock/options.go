package lock

import (
	"log/slog"
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Blocking windows with a meaning of their own.
const (
	// NoWait makes Acquire try once and return ErrNotAcquired if the lock is held.
	NoWait time.Duration = 0
	// Forever makes Acquire wait until the lock is free or ctx ends. It is the default. Its
	// value is the most negative Duration, so that no computed duration hits it by accident.
	Forever time.Duration = math.MinInt64
)

// The shortest durations every backend accepts. They are the same on every backend, so that
// swapping one for another stays a configuration change: a value local:// took would
// otherwise fail, or silently misbehave, on Redis.
const (
	// MinTimeout is the shortest WithTimeout (and URL timeout): Redis expires keys in whole
	// milliseconds, so a shorter timeout would be rounded to nothing.
	MinTimeout = time.Millisecond
	// MinLease is the shortest Redis lease (WithLease, URL lease), accepted and ignored by
	// local://. A lease is renewed every third of it and counts as lost a drift margin before
	// it ends: below 100ms a single slow round trip, GC pause or scheduling delay of some tens
	// of milliseconds loses the hold, so every hold would be lost in ordinary operation.
	MinLease = 100 * time.Millisecond
)

// MaxNameLen is the longest lock name, in bytes, that NewLock accepts.
const MaxNameLen = 512

// Options are the settings of one lock. Backends keep a set of defaults (DefaultOptions,
// changed by the URL or Config they were opened with) and apply each lock's Option values on
// top with Resolve.
type Options struct {
	// Timeout frees the lock this long after it was acquired. 0 (the default) holds it
	// until Release; on Redis such a hold is kept alive by a renewed lease.
	Timeout time.Duration
	// Blocking is how long Acquire waits: NoWait, Forever (the default) or a positive duration.
	Blocking time.Duration
	// Logger receives lost holds and backend errors. nil (the default) means slog.Default().
	Logger *slog.Logger
	// Observer receives the lock's events (see Event). nil (the default) reports nothing.
	Observer Observer
}

// Option changes one setting of a lock.
type Option func(*Options)

// DefaultOptions returns the defaults every backend starts from: no timeout, wait forever.
func DefaultOptions() Options {
	return Options{Timeout: 0, Blocking: Forever}
}

// WithTimeout frees the lock d after each acquisition (the seed's timeout). 0, the default,
// holds it until Release. A negative d, or one shorter than MinTimeout, is invalid.
func WithTimeout(d time.Duration) Option { return func(o *Options) { o.Timeout = d } }

// WithBlocking sets how long Acquire waits for the lock (the seed's blocking): NoWait tries
// once, Forever (the default) waits until ctx ends, d > 0 waits at most d. Any other negative
// d is invalid.
func WithBlocking(d time.Duration) Option { return func(o *Options) { o.Blocking = d } }

// WithLogger sends the lock's log records (lost holds, backend errors) to l. Nothing is logged
// on the hot path of Acquire and Release.
func WithLogger(l *slog.Logger) Option { return func(o *Options) { o.Logger = l } }

// Resolve validates name, applies opts on top of base and validates the result. Errors wrap
// ErrInvalid and name the bad value.
func Resolve(name string, base Options, opts ...Option) (Options, error) {
	if err := ValidateName(name); err != nil {
		return Options{}, err
	}
	o := base
	for _, opt := range opts {
		if opt == nil {
			return Options{}, Invalidf("lock %q: nil Option", name)
		}
		opt(&o)
	}
	if err := o.Validate(); err != nil {
		return Options{}, Invalidf("lock %q: %s", name, strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": "))
	}
	return o, nil
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
	return nil
}

// Log returns the logger to use: Logger, or slog.Default() when it is nil.
func (o Options) Log() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.Default()
}

// ValidateName reports whether name can be a lock name on every backend: non-empty, at most
// MaxNameLen bytes of valid UTF-8, no control characters, and no '{' or '}' (Redis uses them
// to keep a lock's keys in one cluster slot, so a brace in a name could split them).
func ValidateName(name string) error {
	switch {
	case name == "":
		return Invalidf("lock name is empty")
	case len(name) > MaxNameLen:
		return Invalidf("lock name of %d bytes is longer than %d", len(name), MaxNameLen)
	case !utf8.ValidString(name):
		return Invalidf("lock name %q is not valid UTF-8", name)
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return Invalidf("lock name %q contains control character %U", name, r)
		}
		if r == '{' || r == '}' {
			return Invalidf("lock name %q contains %q, which is reserved for Redis hash tags", name, r)
		}
	}
	return nil
}
