package util

import "errors"

// Sentinel errors of this package; test for them with errors.Is.
var (
	// ErrWrongType is returned when a value handed to MaybeAsync, returned by a Chain
	// callback, or held by Multi's items is neither the expected type nor a future of it;
	// the message names both types.
	ErrWrongType = errors.New("util: wrong type")

	// ErrTimeout rejects an AsyncWhile whose clause still held when its timeout passed.
	ErrTimeout = errors.New("util: async while timed out")

	// ErrClosed is returned by Loop.Submit after Close, and rejects RunInLoop on a closed
	// Loop.
	ErrClosed = errors.New("util: loop closed")
)
