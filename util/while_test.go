package util_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/util"
)

func TestLinearBackoff(t *testing.T) {
	b := util.LinearBackoff(100*time.Millisecond, time.Second)
	for _, tc := range []struct {
		n    int
		want time.Duration
	}{
		{0, 0}, {1, 100 * time.Millisecond}, {3, 300 * time.Millisecond},
		{10, time.Second}, {11, time.Second}, {1 << 62, time.Second},
	} {
		assert.Equal(t, tc.want, b(tc.n), "n=%d", tc.n)
	}
	assert.Zero(t, util.LinearBackoff(0, time.Second)(5))
}

func TestAsyncWhileStopsWhenClauseIsFalse(t *testing.T) {
	calls := 0
	f := util.AsyncWhile(context.Background(), 0, func(context.Context) (bool, error) {
		calls++
		return calls < 4, nil
	}, func(int) time.Duration { return time.Millisecond })
	n, err := await(t, f)
	require.NoError(t, err)
	assert.Equal(t, 4, n)
	assert.Equal(t, 4, calls)
}

func TestAsyncWhileUsesBackoffBetweenCalls(t *testing.T) {
	var asked []int
	f := util.AsyncWhile(context.Background(), 0, func(context.Context) (bool, error) {
		return len(asked) < 3, nil
	}, func(n int) time.Duration {
		asked = append(asked, n)
		return 0
	})
	_, err := await(t, f)
	require.NoError(t, err)
	assert.Equal(t, []int{1, 2, 3}, asked, "backoff is asked after each call that held")
}

func TestAsyncWhileTimeoutSaysSo(t *testing.T) {
	f := util.AsyncWhile(context.Background(), 30*time.Millisecond, func(context.Context) (bool, error) {
		return true, nil
	}, func(int) time.Duration { return 5 * time.Millisecond })
	n, err := await(t, f)
	require.ErrorIs(t, err, util.ErrTimeout)
	assert.ErrorContains(t, err, "timeout 30ms")
	assert.GreaterOrEqual(t, n, 2, "the clause had a last call at the deadline")
}

func TestAsyncWhileClauseError(t *testing.T) {
	_, err := await(t, util.AsyncWhile(context.Background(), time.Second, func(context.Context) (bool, error) {
		return true, errBoom
	}, nil))
	assert.ErrorIs(t, err, errBoom)
}

func TestAsyncWhileCtxAndCancel(t *testing.T) {
	always := func(context.Context) (bool, error) { return true, nil }
	ctx, cancel := context.WithCancel(context.Background())
	f := util.AsyncWhile(ctx, 0, always, nil) // default backoff: waits 100ms after the first call
	cancel()
	_, err := await(t, f)
	assert.ErrorIs(t, err, context.Canceled)

	g := util.AsyncWhile(context.Background(), 0, always, nil)
	g.Cancel()
	_, err = await(t, g)
	assert.ErrorIs(t, err, context.Canceled)
}
