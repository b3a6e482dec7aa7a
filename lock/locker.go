package lock

import (
	"context"
	"time"
)

// Locker is a named lock. A Locker is safe for concurrent use; like a
// sync.Mutex, a second Acquire on a handle that holds the lock waits until it is released.
type Locker interface {
	// Name returns the name the lock was created with.
	Name() string

	// Acquire takes the lock, waiting as long as WithBlocking allows. It returns nil once
	// the lock is held; ErrNotAcquired when the blocking window ended first; an error that
	// errors.Is ctx's error when ctx ended first (never ErrNotAcquired); ErrClosed when the
	// backend was closed. On any error the lock is not held by this call.
	Acquire(ctx context.Context) error

	// Release frees the lock and wakes the next waiter. It returns ErrNotHeld unless this
	// handle holds the lock now (a hold that expired or was lost cannot be released).
	//
	// A ctx that has already ended still frees the lock, under a short deadline of its
	// own, so that `defer l.Release(reqCtx)` after the request timed out does not leave the
	// name locked. A Release that cannot reach the server ends the hold as lost: Lost()
	// closes, the error errors.Is ErrLost (and the server's error), and the key expires on
	// its own within the lease or timeout; the hold never ends silently with its key set.
	Release(ctx context.Context) error

	// Locked reports whether anyone, through any handle, holds the lock now.
	Locked(ctx context.Context) (bool, error)

	// Extend makes the current hold last ttl from now (ttl must be at least MinTimeout;
	// shorter is ErrInvalid, as for WithTimeout). A hold with no timeout keeps being
	// renewed afterwards. It returns ErrNotHeld if the hold is gone.
	Extend(ctx context.Context, ttl time.Duration) error

	// Fence returns the fencing token of the current (or last) hold: a number that grows
	// with every acquisition of the name. Pass it to the storage you protect so that it
	// can refuse writes from a holder that has since lost the lock. It is 0 before the
	// first hold.
	Fence() uint64

	// Lost returns a channel that is closed when the current hold ends without Release
	// (expiry, failed renewal, key deleted or taken, Close). Call it after Acquire: before
	// the first hold it returns nil; after a clean Release the channel stays open for ever.
	Lost() <-chan struct{}
}

// Backend makes locks. Locks with the same name from the same backend (and, for shared
// backends such as Redis, from every backend on the same server and prefix) exclude each
// other.
type Backend interface {
	// NewLock returns a handle on the named lock. Options are validated here: a bad name or
	// option is an ErrInvalid error. Handles hold no resources until Acquire.
	NewLock(name string, opts ...Option) (Locker, error)

	// Close stops every background goroutine and wakes waiters with ErrClosed. The holds
	// it still has are marked lost (their Lost() closes and Do's ctx is cancelled, before
	// anyone else can hold them) and then released, under a short deadline, so that other
	// processes can take the names at once instead of waiting out a lease, as etcd's
	// Session.Close revokes its lease; a hold the server could not be told of expires on its
	// own. Later calls return ErrClosed; a second Close returns nil.
	Close() error
}
