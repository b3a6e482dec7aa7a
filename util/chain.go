package util

import (
	"context"

	"github.com/batonlock/baton/future"
)

// Chain: when f settles, callback is called with its value, or
// errback with its error, and the returned future settles with what that call gives back.
//
// Either may return a plain U or a *future.Future[U], which is then awaited (as MaybeAsync
// takes them); anything else rejects with ErrWrongType. An errback that returns a value
// recovers the chain; one that returns an error, the same or another, passes it on. A nil
// callback passes f's value on (it must then be a U), and a nil errback passes its error
// on. The callbacks run on a goroutine of their own, with a ctx that the returned future's
// Cancel cancels and that stays alive until a future they returned settles.
func Chain[T, U any](
	f *future.Future[T],
	callback func(ctx context.Context, v T) (any, error),
	errback func(ctx context.Context, err error) (any, error),
) *future.Future[U] {
	return future.Handle(f, func(ctx context.Context, v T, err error) *future.Future[U] {
		var (
			out  any
			oerr error
		)
		switch {
		case err == nil && callback != nil:
			out, oerr = callback(ctx, v)
		case err == nil:
			out = v
		case errback != nil:
			out, oerr = errback(ctx, err)
		default:
			return future.Rejected[U](err)
		}
		if oerr != nil {
			return future.Rejected[U](oerr)
		}
		next, merr := MaybeAsync[U](out)
		if merr != nil {
			return future.Rejected[U](merr)
		}
		return next
	})
}
