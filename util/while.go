package util

import (
	"context"
	"fmt"
	"time"

	"github.com/batonlock/baton/future"
)

// Backoff says how long AsyncWhile waits after the n-th call of its clause (n counts from 1)
// before the next one.
type Backoff func(n int) time.Duration

// Default backoff of AsyncWhile: linear, 100ms more after each call, never more than 1s.
const (
	DefaultBackoffStep = 100 * time.Millisecond
	DefaultBackoffMax  = time.Second
)

// LinearBackoff waits n*step after the n-th call, capped at max.
func LinearBackoff(step, max time.Duration) Backoff {
	return func(n int) time.Duration {
		if step <= 0 || n <= 0 {
			return 0
		}
		if time.Duration(n) > max/step { // also keeps n*step from overflowing
			return max
		}
		return time.Duration(n) * step
	}
}

// AsyncWhile calls clause until clause returns false, waiting
// between calls as backoff says (nil means LinearBackoff(DefaultBackoffStep,
// DefaultBackoffMax)), and resolves with the number of calls made.
//
// timeout > 0 bounds the whole loop: a clause that still holds once timeout has passed
// (it gets one last call then) rejects the future with an error wrapping ErrTimeout that
// says how long and how many calls it took; timeout <= 0 waits as long as ctx allows. An error from clause rejects the future with it. ctx ending,
// or Cancel, stops the loop with ctx's error. The loop runs on one goroutine, owned by the
// returned future.
func AsyncWhile(ctx context.Context, timeout time.Duration, clause func(ctx context.Context) (bool, error), backoff Backoff) *future.Future[int] {
	if backoff == nil {
		backoff = LinearBackoff(DefaultBackoffStep, DefaultBackoffMax)
	}
	return future.Go(ctx, func(ctx context.Context) (int, error) {
		start := time.Now()
		var timer *time.Timer
		defer func() {
			if timer != nil {
				timer.Stop()
			}
		}()
		for n := 1; ; n++ {
			again, err := clause(ctx)
			if err != nil {
				return n, err
			}
			if !again {
				return n, nil
			}
			wait := backoff(n)
			if timeout > 0 {
				left := timeout - time.Since(start)
				if left <= 0 {
					return n, fmt.Errorf("%w: the clause still held after %v and %d calls (timeout %v)",
						ErrTimeout, time.Since(start).Round(time.Millisecond), n, timeout)
				}
				wait = min(wait, left)
			}
			if timer == nil {
				timer = time.NewTimer(wait)
			} else {
				timer.Reset(wait) // safe since Go 1.23: no stale tick survives a Reset
			}
			select {
			case <-timer.C:
			case <-ctx.Done():
				return n, ctx.Err()
			}
		}
	})
}
