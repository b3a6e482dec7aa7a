package util_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/future"
	"github.com/batonlock/baton/util"
)

func TestTask(t *testing.T) {
	itoa := util.Task(func(_ context.Context, n int) (string, error) { return strconv.Itoa(n), nil })
	v, err := await(t, itoa(context.Background(), 12))
	require.NoError(t, err)
	assert.Equal(t, "12", v)
}

func TestTaskCancelAndPanic(t *testing.T) {
	wait := util.Task(func(ctx context.Context, _ struct{}) (int, error) {
		<-ctx.Done()
		return 0, ctx.Err()
	})
	f := wait(context.Background(), struct{}{})
	f.Cancel()
	_, err := await(t, f)
	assert.ErrorIs(t, err, context.Canceled)

	boom := util.Task(func(context.Context, int) (int, error) { panic("task") })
	_, err = await(t, boom(context.Background(), 1))
	var pe *future.PanicError
	assert.ErrorAs(t, err, &pe)
}

func TestMaybeAsync(t *testing.T) {
	f, err := util.MaybeAsync[int](3)
	require.NoError(t, err)
	v, err := await(t, f)
	require.NoError(t, err)
	assert.Equal(t, 3, v)

	src := future.Resolved(4)
	g, err := util.MaybeAsync[int](src)
	require.NoError(t, err)
	assert.Same(t, src, g, "a future is returned as it is")

	p, err := util.MaybeAsync[*int](nil)
	require.NoError(t, err, "nil is a *int")
	pv, err := await(t, p)
	require.NoError(t, err)
	assert.Nil(t, pv)
}

func TestMaybeAsyncWrongType(t *testing.T) {
	for _, v := range []any{"three", future.Resolved("four"), (*future.Future[int])(nil), nil} {
		f, err := util.MaybeAsync[int](v)
		assert.Nil(t, f)
		assert.ErrorIs(t, err, util.ErrWrongType, "%T", v)
	}
	_, err := util.MaybeAsync[int]("three")
	assert.ErrorContains(t, err, "got string, want int")
}
