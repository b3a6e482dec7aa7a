package util_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/future"
	"github.com/batonlock/baton/util"
)

func double(_ context.Context, v int) (any, error) { return v * 2, nil }

func TestChainCallback(t *testing.T) {
	v, err := await(t, util.Chain[int, int](future.Resolved(2), double, nil))
	require.NoError(t, err)
	assert.Equal(t, 4, v)
}

func TestChainCallbackReturnsFuture(t *testing.T) {
	f := util.Chain[int, string](future.Resolved(2), func(ctx context.Context, v int) (any, error) {
		return future.Go(ctx, func(context.Context) (string, error) { return "from a future", nil }), nil
	}, nil)
	v, err := await(t, f)
	require.NoError(t, err)
	assert.Equal(t, "from a future", v)
}

func TestChainErrbackRecovers(t *testing.T) {
	f := util.Chain[int, int](future.Rejected[int](errBoom), double, func(_ context.Context, err error) (any, error) {
		assert.ErrorIs(t, err, errBoom)
		return future.Resolved(-1), nil
	})
	v, err := await(t, f)
	require.NoError(t, err)
	assert.Equal(t, -1, v)
}

func TestChainErrbackPassesError(t *testing.T) {
	other := errors.New("other")
	f := util.Chain[int, int](future.Rejected[int](errBoom), double, func(context.Context, error) (any, error) {
		return nil, other
	})
	_, err := await(t, f)
	assert.ErrorIs(t, err, other)
}

func TestChainErrorsSkipCallbackAndNilErrbackPasses(t *testing.T) {
	f := util.Chain[int, int](future.Rejected[int](errBoom), func(context.Context, int) (any, error) {
		t.Error("callback called on an error")
		return 0, nil
	}, nil)
	_, err := await(t, f)
	assert.ErrorIs(t, err, errBoom)
}

func TestChainNilCallbackPassesValue(t *testing.T) {
	v, err := await(t, util.Chain[int, int](future.Resolved(5), nil, nil))
	require.NoError(t, err)
	assert.Equal(t, 5, v)

	_, err = await(t, util.Chain[int, string](future.Resolved(5), nil, nil))
	assert.ErrorIs(t, err, util.ErrWrongType, "an int cannot pass on as a string")
}

func TestChainCallbackWrongType(t *testing.T) {
	f := util.Chain[int, int](future.Resolved(1), func(context.Context, int) (any, error) { return "x", nil }, nil)
	_, err := await(t, f)
	assert.ErrorIs(t, err, util.ErrWrongType)
}
