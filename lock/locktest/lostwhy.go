package locktest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
)

// lostSaysWhy: Release and Extend of a hold whose timeout ended return an error that is
// both ErrNotHeld and ErrLost and says that the timeout ended, while Release of a hold
// that was released says only ErrNotHeld.
func (s *primitives) lostSaysWhy(t *testing.T) {
	b := s.backend(t)
	l := acquired(t, b, name(t), lock.WithTimeout(shortTTL))
	closed(t, l.Lost(), "the timed hold's Lost")
	for op, err := range map[string]error{"release": l.Release(ctx(t)), "extend": l.Extend(ctx(t), time.Second)} {
		assert.ErrorIs(t, err, lock.ErrNotHeld, op)
		assert.ErrorIs(t, err, lock.ErrLost, op)
		assert.ErrorContains(t, err, "timeout", op)
	}

	released := acquired(t, b, name(t))
	require.NoError(t, released.Release(ctx(t)))
	err := released.Release(ctx(t))
	assert.ErrorIs(t, err, lock.ErrNotHeld)
	assert.NotErrorIs(t, err, lock.ErrLost, "a released hold was not lost")

	// A new hold on the same handle forgets why the last one was lost.
	require.NoError(t, l.Acquire(ctx(t)))
	require.NoError(t, l.Release(ctx(t)))
	assert.NotErrorIs(t, l.Release(ctx(t)), lock.ErrLost)
}

// closedSaysWhy: Release of a hold that Close abandoned is ErrNotHeld and ErrLost, and still
// ErrClosed.
func (s *primitives) closedSaysWhy(t *testing.T) {
	b := s.backend(t)
	l := acquired(t, b, name(t))
	require.NoError(t, b.Close())
	err := l.Release(ctx(t))
	assert.ErrorIs(t, err, lock.ErrNotHeld)
	assert.ErrorIs(t, err, lock.ErrLost)
	assert.ErrorIs(t, err, lock.ErrClosed)
}
