package lock

import (
	"log/slog"
	"math"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/batonlock/baton/internal/lockopt"
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

// Option changes one setting of a lock. Pass options to Backend.NewLock; a backend's own
// defaults (from its URL or configuration) apply first.
type Option func(*lockopt.Options)

// WithTimeout frees the lock d after each acquisition. 0, the default, holds it until
// Release. A negative d, or one shorter than MinTimeout, is invalid.
func WithTimeout(d time.Duration) Option { return func(o *lockopt.Options) { o.Timeout = d } }

// WithBlocking sets how long Acquire waits for the lock: NoWait tries
// once, Forever (the default) waits until ctx ends, d > 0 waits at most d. Any other negative
// d is invalid.
func WithBlocking(d time.Duration) Option { return func(o *lockopt.Options) { o.Blocking = d } }

// WithLogger sends the lock's log records (lost holds, backend errors) to l. Nothing is logged
// on the hot path of Acquire and Release.
func WithLogger(l *slog.Logger) Option { return func(o *lockopt.Options) { o.Logger = l } }

// ValidateName reports whether name can be a lock name on every backend: non-empty, at most
// MaxNameLen bytes of valid UTF-8, no control characters, and no '{' or '}' (Redis uses them
// to keep a lock's keys in one cluster slot, so a brace in a name could split them).
func ValidateName(name string) error {
	switch {
	case name == "":
		return invalidf("lock name is empty")
	case len(name) > MaxNameLen:
		return invalidf("lock name of %d bytes is longer than %d", len(name), MaxNameLen)
	case !utf8.ValidString(name):
		return invalidf("lock name %q is not valid UTF-8", name)
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return invalidf("lock name %q contains control character %U", name, r)
		}
		if r == '{' || r == '}' {
			return invalidf("lock name %q contains %q, which is reserved for Redis hash tags", name, r)
		}
	}
	return nil
}

// Forever must be the value the shared option code compares with: this array has length 0
// only while the two are equal.
var _ [0]struct{} = [Forever - lockopt.Forever]struct{}{}

// The same for MinTimeout, which the shared validation enforces.
var _ [0]struct{} = [MinTimeout - lockopt.MinTimeout]struct{}{}
