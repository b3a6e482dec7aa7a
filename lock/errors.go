package lock

import (
	"errors"

	"github.com/batonlock/baton/internal/lockopt"
)

// Sentinel errors returned by every backend. Test for them with errors.Is: backends wrap them
// with the operation, the lock name and the cause.
var (
	// ErrNotAcquired is returned by Acquire when its blocking window (WithBlocking) ended
	// before the lock became free. It is never returned because ctx ended.
	ErrNotAcquired = errors.New("lock: not acquired")

	// ErrNotHeld is returned by Release and Extend when the handle does not hold the lock
	// now: it never did, it already released it, or the hold expired or was lost.
	ErrNotHeld = errors.New("lock: not held")

	// ErrLost is the cause given to Do's ctx, and joined to Do's error, when a hold ended
	// without Release: it expired, its lease could not be renewed, or its key was taken.
	ErrLost = errors.New("lock: hold lost")

	// ErrClosed is returned by every call on a Backend, or on its locks, after Close, and
	// by Acquire calls that were waiting when Close was called.
	ErrClosed = errors.New("lock: backend closed")

	// ErrInvalid is returned for bad input: an empty or malformed name, a bad option, an
	// unknown URL scheme or a malformed URL. The message says what was wrong and why.
	ErrInvalid = lockopt.ErrInvalid // "lock: invalid argument"; shared with lock/driver
)

// invalidf returns an error that wraps ErrInvalid with a message saying what was wrong.
func invalidf(format string, args ...any) error { return lockopt.Invalidf(format, args...) }
