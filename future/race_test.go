package future_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/future"
)

func TestRaceFirstToSettleWins(t *testing.T) {
	slow, _, _ := future.NewPromise[string]()
	fast, resolve, _ := future.NewPromise[string]()
	f := future.Race(context.Background(), slow, fast)
	resolve("fast")
	v, err := await(t, f)
	require.NoError(t, err)
	assert.Equal(t, "fast", v)
	assert.Equal(t, 0, future.Waiters(slow), "the loser keeps no callback")
}

func TestRaceErrorCanWin(t *testing.T) {
	slow, _, _ := future.NewPromise[int]()
	_, err := await(t, future.Race(context.Background(), slow, future.Rejected[int](errBoom)))
	assert.ErrorIs(t, err, errBoom)
}

func TestRaceSettledFirstInOrderWins(t *testing.T) {
	v, err := await(t, future.Race(context.Background(), future.Resolved(1), future.Resolved(2)))
	require.NoError(t, err)
	assert.Equal(t, 1, v)
}

func TestRaceAndAnyOfNothingReject(t *testing.T) {
	_, err, ok := future.Race[int](context.Background()).Peek()
	require.True(t, ok)
	assert.ErrorIs(t, err, future.ErrNoFutures)
	_, err, ok = future.Any[int](context.Background()).Peek()
	require.True(t, ok)
	assert.ErrorIs(t, err, future.ErrNoFutures)
}

func TestRaceCtxEndsFirst(t *testing.T) {
	never, _, _ := future.NewPromise[int]()
	ctx, cancel := context.WithCancel(context.Background())
	f := future.Race(ctx, never)
	cancel()
	_, err := await(t, f)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 0, future.Waiters(never))
}

func TestRaceNil(t *testing.T) {
	_, err := await(t, future.Race(context.Background(), nil, future.Resolved(1)))
	assert.ErrorIs(t, err, future.ErrNilFuture)
}

func TestAnyFirstSuccessWins(t *testing.T) {
	p, resolve, _ := future.NewPromise[int]()
	f := future.Any(context.Background(), future.Rejected[int](errBoom), p)
	resolve(5)
	v, err := await(t, f)
	require.NoError(t, err)
	assert.Equal(t, 5, v)
}

func TestAnyAllFailedJoinsEveryError(t *testing.T) {
	errOther := assert.AnError
	p, _, reject := future.NewPromise[int]()
	f := future.Any(context.Background(), p, future.Rejected[int](errBoom))
	reject(errOther)
	_, err := await(t, f)
	assert.ErrorIs(t, err, errBoom)
	assert.ErrorIs(t, err, errOther)
	joined, ok := err.(interface{ Unwrap() []error })
	require.True(t, ok, "errors.Join of every error")
	assert.Equal(t, []error{errOther, errBoom}, joined.Unwrap(), "in the order of the inputs")
}

func TestAnyCtxEndsFirst(t *testing.T) {
	never, _, _ := future.NewPromise[int]()
	ctx, cancel := context.WithCancel(context.Background())
	f := future.Any(ctx, future.Rejected[int](errBoom), never)
	cancel()
	_, err := await(t, f)
	assert.ErrorIs(t, err, context.Canceled)
}
