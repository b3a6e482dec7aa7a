package locktest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
)

func (s *suite) closeWithWaiters(t *testing.T) {
	b := s.backend(t)
	n := name(t)
	holder := acquired(t, b, n)
	lost := holder.Lost()
	_, waiter := waiting(t, ctx(t), b, n, "waiter during Close")

	require.NoError(t, b.Close())
	assert.ErrorIs(t, result(t, waiter, "waiter during Close"), lock.ErrClosed)
	closed(t, lost, "an abandoned hold's Lost")

	assert.ErrorIs(t, holder.Release(ctx(t)), lock.ErrClosed)
	assert.ErrorIs(t, holder.Extend(ctx(t), time.Second), lock.ErrClosed)
	assert.ErrorIs(t, holder.Acquire(ctx(t)), lock.ErrClosed)
	_, err := holder.Locked(ctx(t))
	assert.ErrorIs(t, err, lock.ErrClosed)
	_, err = b.NewLock(n)
	assert.ErrorIs(t, err, lock.ErrClosed)
	assert.NoError(t, b.Close(), "a second Close")
}

// closeFreesHolds: Close releases the holds it still has, so that another backend on the
// same store takes them at once, with NoWait, or wakes its waiter, instead of waiting out a
// lease or timeout (a rolling deploy); the holds' Lost channels are closed by then.
func (s *suite) closeFreesHolds(t *testing.T) {
	if s.isolated {
		t.Skip("the harness says each backend is a store of its own (locktest.Isolated)")
	}
	b, peer := s.backend(t), s.backend(t)
	leased := acquired(t, b, name(t))
	timed := acquired(t, b, name(t), lock.WithTimeout(time.Minute))
	wanted := acquired(t, b, name(t))
	waiter, got := waiting(t, ctx(t), peer, wanted.Name(), "a waiter of another backend")

	require.NoError(t, b.Close())
	for _, h := range []lock.Locker{leased, timed, wanted} {
		assert.True(t, isClosed(h.Lost()), "%s: Close returned before Lost closed", h.Name())
	}
	for _, h := range []lock.Locker{leased, timed} {
		next := acquired(t, peer, h.Name(), lock.WithBlocking(lock.NoWait))
		assert.Greater(t, next.Fence(), h.Fence())
		require.NoError(t, next.Release(ctx(t)))
	}
	require.NoError(t, result(t, got, "a waiter of another backend"))
	require.NoError(t, waiter.Release(ctx(t)))
}
