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
