package lock

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Info is what a backend knows of one name now.
type Info struct {
	Name string
	// Holds are the holds of the name now, in the order they began; more than one only with
	// WithPermits or WithShared. Empty when the name is free.
	Holds []HoldInfo
	// Waiters is how many Acquire calls wait for the name that the backend knows of: those of
	// this process, and those queued on the server (other processes' in-process queues are
	// not visible).
	Waiters int
}

// HoldInfo is one hold of a name.
type HoldInfo struct {
	Owner  string        // the holder's WithOwner label
	Fence  uint64        // the hold's fence
	TTL    time.Duration // left before the hold expires on the backend; 0 when it never does
	Shared bool          // a WithShared hold
}

// Inspector is implemented by backends that can report who holds a name.
type Inspector interface {
	// Inspect returns the holds and waiters of name now. A bad name is an ErrInvalid error;
	// a closed backend returns ErrClosed.
	Inspect(ctx context.Context, name string) (Info, error)
}

// Inspect reports who holds name on b, and for how long, for an operator or a health page. It
// returns an error wrapping errors.ErrUnsupported when b is no Inspector, and an ErrInvalid
// error when b is nil. What it returns is a snapshot: holds may begin and end right after.
func Inspect(ctx context.Context, b Backend, name string) (Info, error) {
	if b == nil {
		return Info{}, invalidf("lock.Inspect of %q: nil Backend", name)
	}
	in, ok := b.(Inspector)
	if !ok {
		return Info{}, fmt.Errorf("lock.Inspect of %q: %T cannot report its holds: %w", name, b, errors.ErrUnsupported)
	}
	return in.Inspect(ctx, name)
}
