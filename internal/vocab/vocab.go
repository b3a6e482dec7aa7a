// Package vocab is the one place where baton's backends word what they say about an event:
// the text of the errors they return and the message and attributes of the records they
// log. Every backend (local, redis, quorum) calls it, so that the same event reads the same
// on each of them and an alert rule or a log parser written against one backend works
// against the others; a backend that wrote its own sentence would drift again.
//
// Errors read `lock "<name>": <op>: <cause>`, and wrap baton's sentinels (lock.ErrNotHeld,
// lock.ErrNotAcquired, ...) with %w, so errors.Is keeps working whatever the wording.
package vocab

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/driver"
)

// The messages of baton's log records. Every record has the attribute "lock" (the lock's
// name) unless it is about the backend as a whole.
const (
	// MsgLost: a hold ended without Release. Attributes: lock, fence, cause.
	MsgLost = "lock: hold lost"
	// MsgBackendError: a call to the backend's server failed. Attributes: lock, op, err.
	MsgBackendError = "lock: backend call failed"
)

// The causes of a lost hold that are not a closed backend (lock.ErrClosed) or an ended
// timeout (TimeoutEnded): they are the cause attribute of MsgLost and the Err of the
// lock.Lost event.
var (
	// ErrTaken: the hold's key was deleted, or now holds another owner's token. A
	// compare-and-set cannot tell the two apart.
	ErrTaken = errors.New("the key was deleted or taken by another owner")
	// ErrNotRenewed: no renewal of the lease succeeded before the hold's safe deadline.
	ErrNotRenewed = errors.New("the lease was not renewed in time")
)

// TimeoutEnded is the cause of a hold lost because its timeout (WithTimeout, or the ttl of
// its last Extend) d ended.
func TimeoutEnded(d time.Duration) error { return fmt.Errorf("the timeout of %v ended", d) }

// NotRenewed is the cause of a lease lost because its renewals failed, the last one with err.
func NotRenewed(err error) error {
	if err == nil {
		return ErrNotRenewed
	}
	return fmt.Errorf("%w: %w", ErrNotRenewed, err)
}

// Err wraps err, the outcome of operation op ("acquire", "release", "extend", "locked",
// "new lock") on the lock called name.
func Err(name, op string, err error) error {
	return fmt.Errorf("lock %q: %s: %w", name, op, err)
}

// LostErr is the error of operation op (Release, Extend) on a hold of the lock called name
// that ended without Release because of why (TimeoutEnded, ErrNotRenewed, ErrTaken,
// lock.ErrClosed). errors.Is finds lock.ErrNotHeld, lock.ErrLost and why.
func LostErr(name, op string, why error) error {
	return fmt.Errorf("lock %q: %s: %w (%w: %w)", name, op, lock.ErrNotHeld, lock.ErrLost, why)
}

// PermitsDisagree is the error of an Acquire whose WithPermits(mine) differs from the n the
// name is held or waited on with now (theirs): two counts cannot both be kept.
func PermitsDisagree(name string, mine, theirs int) error {
	return driver.Invalidf("lock %q: acquire: WithPermits(%d) disagrees with the %d permits the name is held or waited on with now (every handle of a name must give the same n)", name, mine, theirs)
}

// NotAcquired is the error of an Acquire whose blocking window ended, blocking long
// (lock.NoWait: it tried once). last is the server error that may be why it could not take
// the lock, or nil when the lock was held all along.
func NotAcquired(name string, blocking time.Duration, last error) error {
	var why string
	switch {
	case blocking == lock.NoWait && last == nil:
		why = "held elsewhere"
	case blocking == lock.NoWait:
		why = "tried once"
	case last == nil:
		why = fmt.Sprintf("still held after %v", blocking)
	default:
		why = fmt.Sprintf("gave up after %v", blocking)
	}
	if last == nil {
		return fmt.Errorf("lock %q: acquire: %s: %w", name, why, lock.ErrNotAcquired)
	}
	return fmt.Errorf("lock %q: acquire: %s: %w (last error: %w)", name, why, lock.ErrNotAcquired, last)
}

// BadTTL is the error of an Extend by a ttl shorter than lock.MinTimeout (0 and negative
// ones included), or nil for a good one.
func BadTTL(name string, ttl time.Duration) error {
	if ttl >= lock.MinTimeout {
		return nil
	}
	return driver.Invalidf("lock %q: extend by %v: the ttl must be at least lock.MinTimeout (%v): Redis expires keys in whole milliseconds", name, ttl, lock.MinTimeout)
}

// LogLost logs a hold of the lock called name, with fence fence, that ended without Release
// because of cause.
func LogLost(log *slog.Logger, name string, fence uint64, cause error) {
	log.Warn(MsgLost, "lock", name, "fence", fence, "cause", cause)
}

// LogBackendError logs a server call op that failed with err, on behalf of the lock called
// name; name is empty when the call was the backend's own (its subscription).
func LogBackendError(log *slog.Logger, name, op string, err error) {
	if name == "" {
		log.Warn(MsgBackendError, "op", op, "err", err)
		return
	}
	log.Warn(MsgBackendError, "lock", name, "op", op, "err", err)
}
