package util_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/future"
	"github.com/batonlock/baton/util"
)

func TestMultiSliceOfFuturesAndValues(t *testing.T) {
	p, resolve, _ := future.NewPromise[int]()
	f := util.Multi[int](context.Background(), []any{1, future.Resolved(2), p}, true)
	resolve(3)
	res, err := await(t, f)
	require.NoError(t, err)
	assert.Equal(t, []any{0, 1, 2}, res.Keys)
	assert.Equal(t, []int{1, 2, 3}, res.Values)
	assert.Empty(t, res.Failures())
}

func TestMultiCollectsErrorsWithoutRaise(t *testing.T) {
	items := []*future.Future[int]{future.Resolved(1), future.Rejected[int](errBoom), future.Resolved(3)}
	res, err := await(t, util.Multi[int](context.Background(), items, false))
	require.NoError(t, err)
	assert.Equal(t, []int{1, 0, 3}, res.Values)
	assert.NoError(t, res.Errs[0])
	assert.ErrorIs(t, res.Errs[1], errBoom)
	require.Len(t, res.Failures(), 1)
	var se *util.SlotError
	require.ErrorAs(t, res.Failures()[0], &se)
	assert.Equal(t, 1, se.Key)
	assert.ErrorIs(t, se, errBoom)
	v, err := res.Get(2)
	require.NoError(t, err)
	assert.Equal(t, 3, v)
	_, err = res.Get(7)
	assert.ErrorIs(t, err, util.ErrWrongType)
}

func TestMultiRaiseOnError(t *testing.T) {
	never, _, _ := future.NewPromise[int]()
	items := map[string]any{"ok": 1, "bad": future.Rejected[int](errBoom), "slow": never}
	_, err := await(t, util.Multi[int](context.Background(), items, true))
	assert.ErrorIs(t, err, errBoom)
	var se *util.SlotError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "bad", se.Key)
}

func TestMultiMapKeysSorted(t *testing.T) {
	items := map[string]*future.Future[int]{"b": future.Resolved(2), "a": future.Resolved(1), "c": future.Resolved(3)}
	res, err := await(t, util.Multi[int](context.Background(), items, false))
	require.NoError(t, err)
	assert.Equal(t, []any{"a", "b", "c"}, res.Keys)
	assert.Equal(t, []int{1, 2, 3}, res.Values)
}

func TestMultiWrongTypes(t *testing.T) {
	res, err := await(t, util.Multi[int](context.Background(), []any{1, "two"}, false))
	require.NoError(t, err)
	require.Len(t, res.Failures(), 1)
	assert.ErrorIs(t, res.Failures()[0], util.ErrWrongType)

	_, err = await(t, util.Multi[int](context.Background(), 42, false))
	assert.ErrorIs(t, err, util.ErrWrongType)
}

func TestMultiEmpty(t *testing.T) {
	res, err := await(t, util.Multi[int](context.Background(), []int{}, true))
	require.NoError(t, err)
	assert.Empty(t, res.Values)
	res, err = await(t, util.Multi[int](context.Background(), map[int]int{}, false))
	require.NoError(t, err)
	assert.Empty(t, res.Values)
}

func TestMultiCtxEndsFirst(t *testing.T) {
	never, _, _ := future.NewPromise[int]()
	ctx, cancel := context.WithCancel(context.Background())
	f := util.Multi[int](ctx, []*future.Future[int]{never}, false)
	cancel()
	_, err := await(t, f)
	assert.ErrorIs(t, err, context.Canceled)
}
