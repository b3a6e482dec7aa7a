package util

import (
	"context"

	"github.com/batonlock/baton/future"
)

// Task turns a blocking function into one that starts the work on a
// goroutine of its own and returns its future at once. Each call of the returned function
// runs fn once, as future.Go does: the future's Cancel cancels fn's ctx, and a panic in fn
// rejects the future with a *future.PanicError.
func Task[A, T any](fn func(ctx context.Context, arg A) (T, error)) func(ctx context.Context, arg A) *future.Future[T] {
	return func(ctx context.Context, arg A) *future.Future[T] {
		return future.Go(ctx, func(ctx context.Context) (T, error) { return fn(ctx, arg) })
	}
}
