package future_test

import (
	"context"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/future"
)

func TestThen(t *testing.T) {
	f := future.Then(future.Resolved(21), func(_ context.Context, v int) (string, error) {
		return strconv.Itoa(v * 2), nil
	})
	v, err := await(t, f)
	require.NoError(t, err)
	assert.Equal(t, "42", v)
}

func TestThenPassesErrorsWithoutCalling(t *testing.T) {
	f := future.Then(future.Rejected[int](errBoom), func(context.Context, int) (int, error) {
		t.Error("callback called for a rejected source")
		return 0, nil
	})
	_, err, ok := f.Peek()
	require.True(t, ok, "an error passes through at once")
	assert.ErrorIs(t, err, errBoom)
}

func TestThenCallbackError(t *testing.T) {
	f := future.Then(future.Resolved(1), func(context.Context, int) (int, error) { return 0, errBoom })
	_, err := await(t, f)
	assert.ErrorIs(t, err, errBoom)
}

func TestThenPanicSurfacesWithStack(t *testing.T) {
	f := future.Then(future.Resolved(1), func(context.Context, int) (int, error) { explode(); return 0, nil })
	_, err := await(t, f)
	var pe *future.PanicError
	require.ErrorAs(t, err, &pe)
	assert.Contains(t, string(pe.Stack), "explode")
}

func TestThenNilSource(t *testing.T) {
	_, err := await(t, future.Then(nil, func(context.Context, int) (int, error) { return 0, nil }))
	assert.ErrorIs(t, err, future.ErrNilFuture)
}

func TestThenCancelBeforeSourceSettlesLeaksNothing(t *testing.T) {
	src, _, _ := future.NewPromise[int]() // never settles
	f := future.Then(src, func(context.Context, int) (int, error) {
		t.Error("callback called after Cancel")
		return 0, nil
	})
	require.Equal(t, 1, future.Waiters(src))
	f.Cancel()
	_, err := await(t, f)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 0, future.Waiters(src), "a cancelled stage unregisters from its source")
}

func TestThenCancelWhileRunningCancelsCallbackCtx(t *testing.T) {
	started := make(chan struct{})
	f := future.Then(future.Resolved(1), func(ctx context.Context, v int) (int, error) {
		close(started)
		<-ctx.Done()
		return v, ctx.Err()
	})
	<-started
	f.Cancel()
	_, err := await(t, f)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestThenDoesNotCancelSource(t *testing.T) {
	src, resolve, _ := future.NewPromise[int]()
	f := future.Then(src, func(_ context.Context, v int) (int, error) { return v, nil })
	f.Cancel()
	assert.True(t, resolve(5), "the source was left alone")
}

func TestAndThenFlattens(t *testing.T) {
	f := future.AndThen(future.Resolved(2), func(ctx context.Context, v int) *future.Future[int] {
		return future.Go(ctx, func(context.Context) (int, error) { return v * 10, nil })
	})
	v, err := await(t, f)
	require.NoError(t, err)
	assert.Equal(t, 20, v)
}

func TestAndThenInnerError(t *testing.T) {
	f := future.AndThen(future.Resolved(2), func(context.Context, int) *future.Future[int] {
		return future.Rejected[int](errBoom)
	})
	_, err := await(t, f)
	assert.ErrorIs(t, err, errBoom)
}

func TestAndThenNilInner(t *testing.T) {
	f := future.AndThen(future.Resolved(2), func(context.Context, int) *future.Future[int] { return nil })
	_, err := await(t, f)
	assert.ErrorIs(t, err, future.ErrNilFuture)
}

func TestAndThenCancelWhileWaitingInner(t *testing.T) {
	innerStarted := make(chan struct{})
	var inner *future.Future[int]
	f := future.AndThen(future.Resolved(2), func(ctx context.Context, v int) *future.Future[int] {
		inner = future.Go(ctx, func(ctx context.Context) (int, error) {
			close(innerStarted)
			<-ctx.Done()
			return 0, ctx.Err()
		})
		return inner
	})
	<-innerStarted
	f.Cancel()
	_, err := await(t, f)
	assert.ErrorIs(t, err, context.Canceled)
	_, err = await(t, inner) // the inner work was stopped through the callback's ctx
	assert.ErrorIs(t, err, context.Canceled)
}

func TestAndThenInnerNeverSettlesCancel(t *testing.T) {
	inner, _, _ := future.NewPromise[int]()
	f := future.AndThen(future.Resolved(1), func(context.Context, int) *future.Future[int] { return inner })
	require.Eventually(t, func() bool { return future.Waiters(inner) == 1 }, settleWithin, time.Millisecond)
	f.Cancel()
	_, err := await(t, f)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 0, future.Waiters(inner))
}

func TestRecover(t *testing.T) {
	f := future.Recover(future.Rejected[int](errBoom), func(_ context.Context, err error) (int, error) {
		assert.ErrorIs(t, err, errBoom)
		return -1, nil
	})
	v, err := await(t, f)
	require.NoError(t, err)
	assert.Equal(t, -1, v)
}

func TestRecoverPassesValues(t *testing.T) {
	f := future.Recover(future.Resolved(3), func(context.Context, error) (int, error) {
		t.Error("errback called for a value")
		return 0, nil
	})
	v, err, ok := f.Peek()
	require.True(t, ok)
	require.NoError(t, err)
	assert.Equal(t, 3, v)
}

func TestRecoverSeesPanics(t *testing.T) {
	panicky := future.Go(context.Background(), func(context.Context) (int, error) { panic("oops") })
	f := future.Recover(panicky, func(_ context.Context, err error) (int, error) {
		var pe *future.PanicError
		if assert.ErrorAs(t, err, &pe) {
			assert.Equal(t, "oops", pe.Value)
		}
		return 1, nil
	})
	v, err := await(t, f)
	require.NoError(t, err)
	assert.Equal(t, 1, v)
}

func TestHandleSeesBoth(t *testing.T) {
	describe := func(_ context.Context, v int, err error) *future.Future[string] {
		if err != nil {
			return future.Resolved("error: " + err.Error())
		}
		return future.Resolved("value: " + strconv.Itoa(v))
	}
	v, err := await(t, future.Handle(future.Resolved(1), describe))
	require.NoError(t, err)
	assert.Equal(t, "value: 1", v)
	v, err = await(t, future.Handle(future.Rejected[int](errBoom), describe))
	require.NoError(t, err)
	assert.Equal(t, "error: boom", v)
}

func TestThenChainOnNeverSettlingSourceHoldsNoGoroutine(t *testing.T) {
	src, _, _ := future.NewPromise[int]()
	f := src
	for range 100 {
		f = future.Then(f, func(_ context.Context, v int) (int, error) { return v + 1, nil })
	}
	// goleak in TestMain checks that no goroutine was parked for any of the 100 stages.
	_, _, ok := f.Peek()
	assert.False(t, ok)
}

func TestAndThenKeepsCtxAliveForInner(t *testing.T) {
	release := make(chan struct{})
	returned := make(chan struct{})
	f := future.AndThen(future.Resolved(1), func(ctx context.Context, v int) *future.Future[int] {
		defer close(returned)
		return future.Go(ctx, func(ctx context.Context) (int, error) {
			<-release
			return v, ctx.Err() // still nil: the callback's ctx lives until the inner future settles
		})
	})
	<-returned
	close(release)
	v, err := await(t, f)
	require.NoError(t, err)
	assert.Equal(t, 1, v)
}

// TestSettledChainDoesNotKeepItsSources checks that the last future of a chain does not keep
// the earlier ones alive once they have settled, so that a long-lived future built by
// repeated Then (f = Then(f, step) in a loop) does not grow without bound.
func TestSettledChainDoesNotKeepItsSources(t *testing.T) {
	var collected atomic.Bool
	last := func() *future.Future[int] {
		src, resolve, _ := future.NewPromise[int]()
		runtime.AddCleanup(src, func(*atomic.Bool) { collected.Store(true) }, &collected)
		f := future.Then(src, func(_ context.Context, v int) (int, error) { return v + 1, nil })
		f = future.AndThen(f, func(_ context.Context, v int) *future.Future[int] { return future.Resolved(v + 1) })
		f = future.Recover(f, func(_ context.Context, err error) (int, error) { return 0, err })
		resolve(1)
		return f
	}()
	v, err := await(t, last)
	require.NoError(t, err)
	assert.Equal(t, 3, v)
	assert.Eventually(t, func() bool {
		runtime.GC()
		return collected.Load()
	}, settleWithin, 10*time.Millisecond, "the settled source is still reachable from the chain")
	runtime.KeepAlive(last)
}
