package future_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/future"
)

// Go hands fn a context of its own when the parent can never be cancelled; these tests hold
// it to the context.Context contract, and to the context package's expectations of the
// contexts derived from it.

type ctxKey struct{}

// started runs a Go future on parent whose fn hands its ctx out and waits for it to end.
func started(t *testing.T, parent context.Context) (*future.Future[int], context.Context) {
	t.Helper()
	got := make(chan context.Context, 1)
	f := future.Go(parent, func(ctx context.Context) (int, error) {
		got <- ctx
		<-ctx.Done()
		return 0, ctx.Err()
	})
	return f, <-got
}

func TestGoCtxOfBackgroundParent(t *testing.T) {
	parent := context.WithValue(context.Background(), ctxKey{}, "v")
	f, ctx := started(t, parent)
	assert.Equal(t, "v", ctx.Value(ctxKey{}), "values come from the parent")
	_, ok := ctx.Deadline()
	assert.False(t, ok)
	require.NoError(t, ctx.Err())
	select {
	case <-ctx.Done():
		t.Fatal("Done closed before Cancel")
	default:
	}

	f.Cancel()
	_, err := await(t, f)
	assert.ErrorIs(t, err, context.Canceled)
	<-ctx.Done()
	assert.ErrorIs(t, ctx.Err(), context.Canceled)
	assert.ErrorIs(t, context.Cause(ctx), context.Canceled)
	assert.NotEmpty(t, ctx.(interface{ String() string }).String())
}

func TestGoCtxDerivedContextsFollowCancel(t *testing.T) {
	f, ctx := started(t, context.Background())
	child, cancelChild := context.WithCancel(ctx)
	defer cancelChild()
	released, stopReleased := context.WithCancel(ctx)
	stopReleased() // a derived context cancelled first unregisters from ctx

	after := make(chan struct{})
	context.AfterFunc(ctx, func() { close(after) })
	stop := context.AfterFunc(ctx, func() { t.Error("stopped AfterFunc ran") })
	assert.True(t, stop())

	f.Cancel()
	<-child.Done()
	assert.ErrorIs(t, child.Err(), context.Canceled)
	assert.ErrorIs(t, context.Cause(child), context.Canceled)
	<-after
	<-released.Done()
	_, err := await(t, f)
	assert.ErrorIs(t, err, context.Canceled)

	late, cancelLate := context.WithCancel(ctx) // derived after the end: born cancelled
	defer cancelLate()
	<-late.Done()
	ran := make(chan struct{})
	context.AfterFunc(ctx, func() { close(ran) })
	<-ran
}

func TestGoCtxEndsWhenFnReturns(t *testing.T) {
	for name, parent := range map[string]context.Context{
		"background": context.Background(),
		"cancellable": func() context.Context {
			c, cancel := context.WithCancel(context.Background())
			t.Cleanup(cancel)
			return c
		}(),
	} {
		t.Run(name, func(t *testing.T) {
			got := make(chan context.Context, 1)
			f := future.Go(parent, func(ctx context.Context) (int, error) { got <- ctx; return 1, nil })
			_, err := await(t, f)
			require.NoError(t, err)
			ctx := <-got
			<-ctx.Done()
			assert.ErrorIs(t, ctx.Err(), context.Canceled, "fn's ctx is released once fn returns")
		})
	}
}

func TestGoCtxWithoutCancelParent(t *testing.T) {
	outer, cancel := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, 1))
	f, ctx := started(t, context.WithoutCancel(outer))
	cancel() // WithoutCancel: the outer ctx ending does not reach fn
	require.NoError(t, ctx.Err())
	assert.Equal(t, 1, ctx.Value(ctxKey{}))
	f.Cancel()
	_, err := await(t, f)
	assert.ErrorIs(t, err, context.Canceled)
}
