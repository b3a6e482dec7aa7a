package future_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/future"
)

var errBoom = errors.New("boom")

// settleWithin is how long a test waits for something that should happen promptly; it only
// bounds a hang, it never asserts speed.
const settleWithin = 5 * time.Second

func await[T any](t *testing.T, f *future.Future[T]) (T, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), settleWithin)
	defer cancel()
	v, err := f.Await(ctx)
	require.NotErrorIs(t, err, context.DeadlineExceeded, "future did not settle")
	return v, err
}

func TestGoAwait(t *testing.T) {
	f := future.Go(context.Background(), func(context.Context) (int, error) { return 42, nil })
	v, err := await(t, f)
	require.NoError(t, err)
	assert.Equal(t, 42, v)

	g := future.Go(context.Background(), func(context.Context) (int, error) { return 7, errBoom })
	v, err = await(t, g)
	assert.ErrorIs(t, err, errBoom)
	assert.Equal(t, 7, v, "the value returned with an error is kept")
}

func TestAwaitCtxEndsFirstLeavesWorkRunning(t *testing.T) {
	release := make(chan struct{})
	f := future.Go(context.Background(), func(ctx context.Context) (string, error) {
		<-release
		return "done", ctx.Err()
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := f.Await(ctx)
	require.ErrorIs(t, err, context.Canceled)

	close(release)
	v, err := await(t, f)
	require.NoError(t, err, "the work was not cancelled by Await's ctx")
	assert.Equal(t, "done", v)
}

func TestAwaitCtxCauseIsKept(t *testing.T) {
	f, _, _ := future.NewPromise[int]()
	defer f.Cancel()
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errBoom)
	_, err := f.Await(ctx)
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, err, errBoom)
}

func TestAwaitSettledIgnoresEndedCtx(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	v, err := future.Resolved(3).Await(ctx)
	require.NoError(t, err)
	assert.Equal(t, 3, v)
}

func TestPeekBeforeAndAfter(t *testing.T) {
	f, resolve, _ := future.NewPromise[int]()
	v, err, ok := f.Peek()
	assert.False(t, ok)
	assert.NoError(t, err)
	assert.Zero(t, v)
	select {
	case <-f.Done():
		t.Fatal("Done closed before settling")
	default:
	}

	require.True(t, resolve(9))
	v, err, ok = f.Peek()
	assert.True(t, ok)
	assert.NoError(t, err)
	assert.Equal(t, 9, v)
	<-f.Done()
}

func TestDoneOfSettledFuture(t *testing.T) {
	<-future.Resolved(1).Done()
	<-future.Rejected[int](errBoom).Done()
}

func TestCancelGo(t *testing.T) {
	started := make(chan struct{})
	f := future.Go(context.Background(), func(ctx context.Context) (int, error) {
		close(started)
		<-ctx.Done()
		return 0, ctx.Err()
	})
	<-started
	f.Cancel()
	_, err := await(t, f)
	assert.ErrorIs(t, err, context.Canceled)
	f.Cancel() // settled: nothing happens
}

func TestGoCtxIsChildOfParent(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	f := future.Go(parent, func(ctx context.Context) (int, error) {
		<-ctx.Done()
		return 0, ctx.Err()
	})
	cancel()
	_, err := await(t, f)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestPanicBecomesPanicErrorWithStack(t *testing.T) {
	f := future.Go(context.Background(), func(context.Context) (int, error) {
		explode()
		return 1, nil
	})
	_, err := await(t, f)
	var pe *future.PanicError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "kaboom", pe.Value)
	assert.Contains(t, string(pe.Stack), "explode", "the stack names the panicking function")
	assert.Contains(t, err.Error(), "kaboom")
	assert.Nil(t, pe.Unwrap())
}

func explode() { panic("kaboom") }

func TestPanicWithErrorUnwraps(t *testing.T) {
	f := future.Go(context.Background(), func(context.Context) (int, error) { panic(errBoom) })
	_, err := await(t, f)
	assert.ErrorIs(t, err, errBoom)
	var pe *future.PanicError
	assert.ErrorAs(t, err, &pe)
}

func TestGoexitRejects(t *testing.T) {
	f := future.Go(context.Background(), func(context.Context) (int, error) {
		runtime.Goexit()
		return 1, nil
	})
	_, err := await(t, f)
	assert.ErrorIs(t, err, future.ErrGoexit)
}

func TestPromiseFirstCallWins(t *testing.T) {
	f, resolve, reject := future.NewPromise[string]()
	assert.True(t, resolve("a"))
	assert.False(t, resolve("b"))
	assert.False(t, reject(errBoom))
	v, err := await(t, f)
	require.NoError(t, err)
	assert.Equal(t, "a", v)

	g, resolve, reject := future.NewPromise[string]()
	assert.True(t, reject(errBoom))
	assert.False(t, resolve("late"))
	_, err = await(t, g)
	assert.ErrorIs(t, err, errBoom)
}

func TestRejectNil(t *testing.T) {
	f, _, reject := future.NewPromise[int]()
	reject(nil)
	_, err := await(t, f)
	assert.ErrorIs(t, err, future.ErrNilError)
	_, err = await(t, future.Rejected[int](nil))
	assert.ErrorIs(t, err, future.ErrNilError)
}

func TestPromiseCancel(t *testing.T) {
	f, resolve, _ := future.NewPromise[int]()
	f.Cancel()
	assert.False(t, resolve(1), "a cancelled promise takes no result")
	_, err := await(t, f)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestResolvedRejected(t *testing.T) {
	v, err, ok := future.Resolved("x").Peek()
	assert.True(t, ok)
	assert.NoError(t, err)
	assert.Equal(t, "x", v)

	r := future.Rejected[int](errBoom)
	r.Cancel() // nothing to stop
	_, err, ok = r.Peek()
	assert.True(t, ok)
	assert.ErrorIs(t, err, errBoom)
}

func TestAfterFunc(t *testing.T) {
	f, resolve, _ := future.NewPromise[int]()
	ran := make(chan struct{})
	f.AfterFunc(func() { close(ran) })
	stopped := f.AfterFunc(func() { t.Error("stopped AfterFunc ran") })
	assert.True(t, stopped())
	assert.False(t, stopped(), "a second stop reports false")
	assert.Equal(t, 1, future.Waiters(f))
	resolve(1)
	<-ran

	late := make(chan struct{})
	stop := f.AfterFunc(func() { close(late) })
	<-late
	assert.False(t, stop(), "fn had already started")
}

func TestPanicErrorMessageHasPrefix(t *testing.T) {
	pe := &future.PanicError{Value: 1, Stack: []byte("stack")}
	assert.True(t, strings.HasPrefix(pe.Error(), "future: panic: 1"))
}
