package redis_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	redislock "github.com/batonlock/baton/lock/redis"
)

func TestLeaseMargin(t *testing.T) {
	margin, _, _, _ := redislock.Lease()
	assert.Equal(t, 2*time.Millisecond+300*time.Millisecond, margin(30*time.Second), "2ms + 1%")
	assert.Equal(t, 2*time.Millisecond, margin(4*time.Millisecond), "never more than half the TTL")
	margin2, deadline, _, _ := redislock.Lease(redislock.WithDriftMargin(50 * time.Millisecond))
	assert.Equal(t, 50*time.Millisecond, margin2(time.Second))
	sent := time.Unix(100, 0)
	assert.Equal(t, sent.Add(950*time.Millisecond), deadline(sent, time.Second))
}

func TestLeaseRenewal(t *testing.T) {
	_, _, every, next := redislock.Lease()
	assert.Equal(t, 10*time.Second, every(30*time.Second))
	assert.Equal(t, time.Millisecond, every(time.Microsecond), "at least 1ms")
	n := next(30*time.Second, time.Now().Add(-4*time.Second))
	assert.InDelta(t, float64(6*time.Second), float64(n), float64(time.Second), "counted from the sending")
	assert.Zero(t, next(30*time.Second, time.Now().Add(-time.Minute)), "overdue: at once")
}

type ctxKey struct{}

// A Release runs under its caller's ctx while that is live, and under a detached one, with
// a deadline of its own and the caller's values, once the caller's has ended.
func TestReleaseContext(t *testing.T) {
	live, cancel := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "v"))
	got, stop := redislock.ReleaseContext(live)
	assert.Equal(t, live, got, "a live ctx is used as it is")
	stop()
	require.NoError(t, live.Err(), "stop leaves the caller's ctx alone")

	cancel()
	got, stop = redislock.ReleaseContext(live)
	defer stop()
	require.NoError(t, got.Err(), "a done ctx is replaced by a live one")
	deadline, ok := got.Deadline()
	require.True(t, ok, "the replacement has a deadline")
	assert.LessOrEqual(t, time.Until(deadline), redislock.ReleaseWait)
	assert.Equal(t, "v", got.Value(ctxKey{}), "the caller's values are kept")
	stop()
	assert.Error(t, got.Err(), "stop ends it")
}
