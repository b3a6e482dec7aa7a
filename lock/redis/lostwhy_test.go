package redis_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/vocab"
	"github.com/batonlock/baton/lock"
)

// TestLostSaysWhy: Release and Extend of a hold that was lost return an error that is both
// lock.ErrNotHeld and lock.ErrLost and says why (issue 16): its timeout ended, its key was
// deleted, or the backend closed. Before, they said only "not held", so a caller could not
// tell an expired hold from a taken one.
func TestLostSaysWhy(t *testing.T) {
	t.Run("timeout ended", func(t *testing.T) {
		b, _, _ := newMiniBackend(t)
		l := newLock(t, b, "why:timeout", lock.WithTimeout(100*time.Millisecond))
		require.NoError(t, l.Acquire(testCtx(t)))
		waitClosed(t, l.Lost(), "the timed hold's Lost")
		for op, err := range map[string]error{"release": l.Release(testCtx(t)), "extend": l.Extend(testCtx(t), time.Second)} {
			assertLost(t, err, op)
			assert.ErrorContains(t, err, "the timeout of 100ms ended", op)
		}
	})
	t.Run("key deleted", func(t *testing.T) {
		b, m, _ := newMiniBackend(t)
		l := newLock(t, b, "why:deleted")
		require.NoError(t, l.Acquire(testCtx(t)))
		m.Del("baton:{why:deleted}")
		err := l.Extend(testCtx(t), time.Second)
		assertLost(t, err, "extend")
		assert.ErrorIs(t, err, vocab.ErrTaken)
		err = l.Release(testCtx(t))
		assertLost(t, err, "release after")
		assert.ErrorIs(t, err, vocab.ErrTaken)
	})
	t.Run("key deleted, then released", func(t *testing.T) {
		b, m, _ := newMiniBackend(t)
		l := newLock(t, b, "why:gone")
		require.NoError(t, l.Acquire(testCtx(t)))
		m.Del("baton:{why:gone}")
		err := l.Release(testCtx(t))
		assertLost(t, err, "release")
		assert.ErrorIs(t, err, vocab.ErrTaken)
	})
	t.Run("backend closed", func(t *testing.T) {
		b, _, _ := newMiniBackend(t)
		l := newLock(t, b, "why:closed")
		require.NoError(t, l.Acquire(testCtx(t)))
		require.NoError(t, b.Close())
		for op, err := range map[string]error{"release": l.Release(testCtx(t)), "extend": l.Extend(testCtx(t), time.Second)} {
			assertLost(t, err, op)
			assert.ErrorIs(t, err, lock.ErrClosed, op)
		}
	})
	t.Run("released is not lost", func(t *testing.T) {
		b, _, _ := newMiniBackend(t)
		l := newLock(t, b, "why:released")
		require.NoError(t, l.Acquire(testCtx(t)))
		require.NoError(t, l.Release(testCtx(t)))
		err := l.Release(testCtx(t))
		assert.ErrorIs(t, err, lock.ErrNotHeld)
		assert.NotErrorIs(t, err, lock.ErrLost)
	})
}

func assertLost(t *testing.T, err error, op string) {
	t.Helper()
	assert.ErrorIs(t, err, lock.ErrNotHeld, op)
	assert.ErrorIs(t, err, lock.ErrLost, op)
}
