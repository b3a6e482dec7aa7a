package future

import "context"

// Then returns the future of fn applied to f's value. fn runs on a goroutine of its own,
// started when f resolves; if f rejects, fn is not called and the result rejects with f's
// error at once. fn's ctx is cancelled by the result's Cancel, and when fn returns. It
// derives from no caller's ctx (Then takes none), so it carries no deadline and no values:
// capture the ctx fn needs from the enclosing code if it must honour one.
func Then[T, U any](f *Future[T], fn func(ctx context.Context, v T) (U, error)) *Future[U] {
	return newStage(f, onValue, func(ctx context.Context, v T, _ error) (*Future[U], U, error) {
		u, err := fn(ctx, v)
		return nil, u, err
	})
}

// AndThen is Then for a callback that returns a future: the result follows that future. fn's
// ctx stays alive until the returned future settles, so fn may start work under it with Go;
// the result's Cancel cancels it. A nil future from fn rejects the result with ErrNilFuture.
func AndThen[T, U any](f *Future[T], fn func(ctx context.Context, v T) *Future[U]) *Future[U] {
	return newStage(f, onValue, func(ctx context.Context, v T, _ error) (*Future[U], U, error) {
		return follow(fn(ctx, v))
	})
}

// Recover returns a future that resolves with f's value, or, if f rejects, with what fn makes
// of the error: fn may return a value (the failure is recovered) or an error (the same or
// another). fn runs on a goroutine of its own, with a ctx that the result's Cancel cancels.
// A panic is an error like any other: fn receives the *PanicError.
func Recover[T any](f *Future[T], fn func(ctx context.Context, err error) (T, error)) *Future[T] {
	return newStage(f, onError, func(ctx context.Context, _ T, err error) (*Future[T], T, error) {
		v, err := fn(ctx, err)
		return nil, v, err
	})
}

// Handle calls fn with f's outcome, whichever it is, and the result follows the future fn
// returns: it is the one stage that sees both values and errors, and it underlies chains in
// the style of callback/errback pairs. fn runs as AndThen's does; a nil future from fn
// rejects the result with ErrNilFuture.
func Handle[T, U any](f *Future[T], fn func(ctx context.Context, v T, err error) *Future[U]) *Future[U] {
	return newStage(f, onBoth, func(ctx context.Context, v T, err error) (*Future[U], U, error) {
		return follow(fn(ctx, v, err))
	})
}

// follow makes a stage's body wait for inner, or reject with ErrNilFuture if there is none.
func follow[U any](inner *Future[U]) (*Future[U], U, error) {
	var zero U
	if inner == nil {
		return nil, zero, ErrNilFuture
	}
	return inner, zero, nil
}
