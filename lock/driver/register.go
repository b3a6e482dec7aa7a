package driver

import (
	"context"
	"net/url"
	"time"

	"github.com/batonlock/baton/internal/lockopt"
	"github.com/batonlock/baton/lock"
)

// Opener opens a backend from a URL whose scheme it was registered for. lock.Open has
// already taken the query keys every backend shares (timeout, blocking) out of u.RawQuery
// and put them in defaults; the opener must reject any key left that it does not know (with
// an Invalidf error naming it) and must never put a password in an error or a log line.
type Opener func(ctx context.Context, u *url.URL, defaults Options) (lock.Backend, error)

// Register makes a driver available under a URL scheme, as database/sql drivers do; drivers
// call it from init. It panics if scheme is empty, open is nil, or the scheme is taken.
func Register(scheme string, open Opener) {
	if open == nil {
		lockopt.Register(scheme, nil) // panics with the message for a nil opener
	}
	lockopt.Register(scheme, func(ctx context.Context, u *url.URL, d lockopt.Options) (lock.Backend, error) {
		return open(ctx, u, Options(d))
	})
}

// Invalidf returns an error that wraps lock.ErrInvalid with a message saying what was wrong.
// Drivers use it so that every bad-input error reads the same way.
func Invalidf(format string, args ...any) error { return lockopt.Invalidf(format, args...) }

// PopDuration removes key from q and parses its value as a Go duration ("1.5s", "30s"), or
// "forever" for lock.Forever. It returns def when the key is absent, and an ErrInvalid error
// naming the key when the value is malformed or repeated.
func PopDuration(q url.Values, key string, def time.Duration) (time.Duration, error) {
	return lockopt.PopDuration(q, key, def)
}

// PopString removes key from q and returns its value; ok is false when it is absent. A key
// given more than once is an ErrInvalid error.
func PopString(q url.Values, key string) (v string, ok bool, err error) {
	return lockopt.PopString(q, key)
}

// Redact returns u as text with every password masked: the one in its userinfo, as
// url.URL.Redacted does, and any query value whose key contains "password". Drivers use it
// for every URL they put in an error or a log line.
func Redact(u *url.URL) string { return lockopt.Redact(u) }

// Scrub replaces in msg every password that u carries (see Redact), for messages from
// libraries that may repeat them.
func Scrub(msg string, u *url.URL) string { return lockopt.Scrub(msg, u) }

// LossNotifier is implemented by Lockers that can run a function at the very moment the
// current hold is marked lost, before anyone else can take the lock. lock.Do uses it to
// cancel its ctx in time. Backends should implement it; Do falls back to watching Lost()
// when a Locker does not.
type LossNotifier interface {
	// AfterLost arranges for fn to be called once when the current hold is lost. fn runs on
	// the goroutine that marks the hold lost, possibly under the backend's internal lock, so
	// it must be quick and must not call the Locker. If the hold is already lost, fn is
	// called before AfterLost returns. stop unregisters fn; it reports whether it stopped fn
	// from being called. If the handle holds nothing, fn is never called.
	AfterLost(fn func()) (stop func() bool)
}
