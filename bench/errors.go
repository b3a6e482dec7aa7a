package bench

import "errors"

// Sentinel errors of this package; test for them with errors.Is.
var (
	// ErrInvalid rejects a run with a negative number of calls or concurrency, or no
	// function to call. The message says which.
	ErrInvalid = errors.New("bench: invalid argument")

	// ErrStopped rejects a run whose ctx ended before every call was made; it is joined
	// with ctx's error, and the message says how many calls were made.
	ErrStopped = errors.New("bench: stopped before the last call")
)
