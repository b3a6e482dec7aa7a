package lease_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/lease"
)

type key struct{}

// A Release runs under its caller's ctx while that is live, and under a detached one, with
// a deadline of its own and the caller's values, once the caller's has ended.
func TestReleaseContext(t *testing.T) {
	live, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, "v"))
	got, stop := lease.ReleaseContext(live)
	assert.Equal(t, live, got, "a live ctx is used as it is")
	stop()
	require.NoError(t, live.Err(), "stop leaves the caller's ctx alone")

	cancel()
	got, stop = lease.ReleaseContext(live)
	defer stop()
	require.NoError(t, got.Err(), "a done ctx is replaced by a live one")
	deadline, ok := got.Deadline()
	require.True(t, ok, "the replacement has a deadline")
	assert.LessOrEqual(t, time.Until(deadline), lease.ReleaseWait)
	assert.Equal(t, "v", got.Value(key{}), "the caller's values are kept")
	stop()
	assert.Error(t, got.Err(), "stop ends it")
}
