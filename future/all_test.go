package future_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/future"
)

// blocker returns a Go future that runs until its ctx is cancelled, and reports through
// cancelled whether that happened.
func blocker(t *testing.T) (f *future.Future[int], cancelled <-chan struct{}) {
	t.Helper()
	c := make(chan struct{})
	started := make(chan struct{})
	f = future.Go(context.Background(), func(ctx context.Context) (int, error) {
		close(started)
		<-ctx.Done()
		close(c)
		return 0, ctx.Err()
	})
	<-started
	return f, c
}

func TestAllInOrder(t *testing.T) {
	p, resolve, _ := future.NewPromise[int]()
	f := future.All(context.Background(), future.Resolved(1), p, future.Go(context.Background(),
		func(context.Context) (int, error) { return 3, nil }))
	resolve(2)
	v, err := await(t, f)
	require.NoError(t, err)
	assert.Equal(t, []int{1, 2, 3}, v)
}

func TestAllEmptyResolvesAtOnce(t *testing.T) {
	v, err, ok := future.All[int](context.Background()).Peek()
	require.True(t, ok)
	require.NoError(t, err)
	assert.NotNil(t, v)
	assert.Empty(t, v)

	m, err, ok := future.AllMap(context.Background(), map[string]*future.Future[int]{}).Peek()
	require.True(t, ok)
	require.NoError(t, err)
	assert.Empty(t, m)

	s, err, ok := future.AllSettled[int](context.Background()).Peek()
	require.True(t, ok)
	require.NoError(t, err)
	assert.Empty(t, s)
}

func TestAllFirstErrorLeavesOthersByDefault(t *testing.T) {
	other, cancelled := blocker(t)
	defer other.Cancel()
	f := future.All(context.Background(), other, future.Rejected[int](errBoom))
	_, err := await(t, f)
	assert.ErrorIs(t, err, errBoom)
	select {
	case <-cancelled:
		t.Fatal("a sibling was cancelled without CancelOthers")
	default:
	}
	assert.Equal(t, 0, future.Waiters(other), "the decided All unregistered")
}

func TestAllCancelOthersOnFirstError(t *testing.T) {
	other, cancelled := blocker(t)
	p, _, reject := future.NewPromise[int]()
	f := future.AllWith(context.Background(), []*future.Future[int]{other, p}, future.CancelOthers())
	reject(errBoom)
	_, err := await(t, f)
	assert.ErrorIs(t, err, errBoom)
	<-cancelled
	_, err = await(t, other)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestAllMapCancelOthersOnFirstError(t *testing.T) {
	other, cancelled := blocker(t)
	f := future.AllMap(context.Background(), map[string]*future.Future[int]{
		"slow": other, "bad": future.Rejected[int](errBoom),
	}, future.CancelOthers())
	_, err := await(t, f)
	assert.ErrorIs(t, err, errBoom)
	<-cancelled
}

func TestAllCtxEndsFirst(t *testing.T) {
	never, _, _ := future.NewPromise[int]()
	ctx, cancel := context.WithCancel(context.Background())
	f := future.All(ctx, future.Resolved(1), never)
	require.Equal(t, 1, future.Waiters(never))
	cancel()
	_, err := await(t, f)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 0, future.Waiters(never), "a source that never settles keeps no callback")
}

func TestAllDecidedAtCallIgnoresEndedCtx(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	v, err := await(t, future.All(ctx, future.Resolved(1), future.Resolved(2)))
	require.NoError(t, err)
	assert.Equal(t, []int{1, 2}, v)
}

func TestAllNilFuture(t *testing.T) {
	_, err := await(t, future.All(context.Background(), future.Resolved(1), nil))
	assert.ErrorIs(t, err, future.ErrNilFuture)
	assert.ErrorContains(t, err, "position 1")

	_, err = await(t, future.AllMap(context.Background(), map[string]*future.Future[int]{"k": nil}))
	assert.ErrorIs(t, err, future.ErrNilFuture)
	assert.ErrorContains(t, err, "key k")
}

func TestAllCancel(t *testing.T) {
	never, _, _ := future.NewPromise[int]()
	f := future.All(context.Background(), never)
	f.Cancel()
	_, err := await(t, f)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 0, future.Waiters(never))
	_, _, ok := never.Peek()
	assert.False(t, ok, "without CancelOthers the source is left alone")

	other, cancelled := blocker(t)
	g := future.AllWith(context.Background(), []*future.Future[int]{other}, future.CancelOthers())
	g.Cancel()
	<-cancelled
}

func TestAllMap(t *testing.T) {
	p, resolve, _ := future.NewPromise[string]()
	f := future.AllMap(context.Background(), map[int]*future.Future[string]{1: future.Resolved("one"), 2: p})
	resolve("two")
	v, err := await(t, f)
	require.NoError(t, err)
	assert.Equal(t, map[int]string{1: "one", 2: "two"}, v)
}

func TestAllSettled(t *testing.T) {
	p, _, reject := future.NewPromise[int]()
	f := future.AllSettled(context.Background(), future.Resolved(1), p)
	reject(errBoom)
	v, err := await(t, f)
	require.NoError(t, err)
	require.Len(t, v, 2)
	assert.Equal(t, future.Result[int]{Value: 1}, v[0])
	assert.ErrorIs(t, v[1].Err, errBoom)
}

func TestAllSettledCtxEndsFirst(t *testing.T) {
	never, _, _ := future.NewPromise[int]()
	ctx, cancel := context.WithCancel(context.Background())
	f := future.AllSettled(ctx, never)
	cancel()
	_, err := await(t, f)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 0, future.Waiters(never))
}
