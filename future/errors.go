package future

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
)

// Sentinel errors of this package. Test for them with errors.Is: they are wrapped with
// details such as the position of a nil future.
var (
	// ErrNoFutures rejects Race and Any called with no futures: with nothing to race there
	// is no winner to report.
	ErrNoFutures = errors.New("future: no futures")

	// ErrNilFuture rejects a combinator given a nil *Future, and an AndThen or Handle whose
	// callback returned one, instead of letting a nil pointer panic later.
	ErrNilFuture = errors.New("future: nil future")

	// ErrNilError is the error of a future rejected with a nil error (reject(nil),
	// Rejected(nil)): a nil error would read as success, so it is replaced by this.
	ErrNilError = errors.New("future: rejected with a nil error")

	// ErrGoexit is the error of a future whose function called runtime.Goexit (as
	// t.FailNow does) instead of returning, so that it still settles.
	ErrGoexit = errors.New("future: function called runtime.Goexit")
)

// PanicError is the error of a future whose function, or whose stage's callback, panicked.
// The panic is caught on the goroutine that ran the function, so the process goes on and
// the panic reaches whoever awaits the future.
type PanicError struct {
	// Value is what was passed to panic.
	Value any
	// Stack is the stack of the panicking goroutine, as runtime/debug.Stack formats it.
	Stack []byte
}

// Error reports the panic value and the stack, so that a logged error says where it began.
func (p *PanicError) Error() string {
	return fmt.Sprintf("future: panic: %v\n\n%s", p.Value, p.Stack)
}

// Unwrap returns the panic value if it is an error, so that errors.Is and errors.As see
// through a panic(err).
func (p *PanicError) Unwrap() error {
	if err, ok := p.Value.(error); ok {
		return err
	}
	return nil
}

// recovered turns what a deferred recover returned into the error a future settles with.
// It must be called from the deferred function that saw the function not return normally:
// a nil r then means runtime.Goexit, which recover cannot stop.
func recovered(r any) error {
	if r == nil {
		return ErrGoexit
	}
	return &PanicError{Value: r, Stack: debug.Stack()}
}

// ctxErr is the error for "ctx ended first": ctx.Err(), which errors.Is context.Canceled or
// context.DeadlineExceeded, plus the cancel cause when one was given (as lock.Do gives
// lock.ErrLost), so that both can be tested for.
func ctxErr(ctx context.Context) error {
	err := ctx.Err()
	if cause := context.Cause(ctx); cause != nil && cause != err {
		return fmt.Errorf("%w: %w", err, cause)
	}
	return err
}
