package lock

import (
	"context"
	"errors"

	"github.com/batonlock/baton/future"
)

// AcquireAsync starts l.Acquire(ctx) on a goroutine of its own and returns its future: true
// once the lock is held, false when the blocking window (WithBlocking) ended first
// (ErrNotAcquired is not an error here: a lock that stayed taken is an answer, not a failure), and an error
// for everything else: ctx ended, the backend was closed, the backend failed. It behaves
// the same on every backend.
//
// The future's Cancel cancels the ctx Acquire runs under. If you stop waiting instead
// (Await's ctx ends), the acquisition may still succeed later and the lock would then be
// held by nobody who knows it: Cancel the future and Await it to find out whether you hold
// the lock.
func AcquireAsync(ctx context.Context, l Locker) *future.Future[bool] {
	return future.Go(ctx, func(ctx context.Context) (bool, error) {
		err := l.Acquire(ctx)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, ErrNotAcquired):
			return false, nil
		}
		return false, err
	})
}

// ReleaseAsync starts l.Release(ctx) on a goroutine of its own and returns its future, which
// rejects with Release's error (ErrNotHeld when the handle does not hold the lock).
func ReleaseAsync(ctx context.Context, l Locker) *future.Future[struct{}] {
	return future.Go(ctx, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, l.Release(ctx)
	})
}
