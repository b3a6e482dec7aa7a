package locktest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
)

func (s *suite) timeoutExpires(t *testing.T) {
	b := s.backend(t)
	n := name(t)
	l := acquired(t, b, n, lock.WithTimeout(shortTTL))
	closed(t, l.Lost(), "Lost after the timeout")
	assert.ErrorIs(t, l.Release(ctx(t)), lock.ErrNotHeld, "Release after expiry")
	assert.ErrorIs(t, l.Extend(ctx(t), time.Second), lock.ErrNotHeld, "Extend after expiry")

	next := acquired(t, b, n, lock.WithBlocking(eventually))
	assert.Greater(t, next.Fence(), l.Fence())
	require.NoError(t, next.Release(ctx(t)))
}

func (s *suite) expiryWakesWaiter(t *testing.T) {
	b := s.backend(t)
	n := name(t)
	holder := acquired(t, b, n, lock.WithTimeout(shortTTL))
	waiter := newLock(t, b, n)
	got := acquireAsync(ctx(t), waiter)
	require.NoError(t, result(t, got, "waiter behind an expiring hold"))
	assert.True(t, isClosed(holder.Lost()), "the old holder was told before the waiter got the lock")
	require.NoError(t, waiter.Release(ctx(t)))
}

func (s *suite) extend(t *testing.T) {
	b := s.backend(t)
	l := acquired(t, b, name(t), lock.WithTimeout(2*shortTTL))
	lost := l.Lost()
	require.NoError(t, l.Extend(ctx(t), 10*shortTTL))
	time.Sleep(4 * shortTTL) // well past the original timeout
	assert.False(t, isClosed(lost), "an extended hold outlives its original timeout")
	held, err := l.Locked(ctx(t))
	require.NoError(t, err)
	assert.True(t, held)

	require.NoError(t, l.Extend(ctx(t), shortTTL))
	closed(t, lost, "Lost after the extension ran out")
	assert.ErrorIs(t, l.Release(ctx(t)), lock.ErrNotHeld)
}

func (s *suite) extendUntimed(t *testing.T) {
	b := s.backend(t)
	l := acquired(t, b, name(t))
	lost := l.Lost()
	require.NoError(t, l.Extend(ctx(t), shortTTL))
	time.Sleep(3 * shortTTL)
	assert.False(t, isClosed(lost), "a hold without timeout is still held after Extend's ttl")
	require.NoError(t, l.Release(ctx(t)))
}

// staleHandle: a handle whose hold expired can neither release nor extend the next hold.
func (s *suite) staleHandle(t *testing.T) {
	b := s.backend(t)
	n := name(t)
	stale := acquired(t, b, n, lock.WithTimeout(shortTTL))
	closed(t, stale.Lost(), "Lost after the timeout")
	fresh := acquired(t, b, n, lock.WithBlocking(eventually))
	assert.ErrorIs(t, stale.Release(ctx(t)), lock.ErrNotHeld)
	assert.ErrorIs(t, stale.Extend(ctx(t), time.Minute), lock.ErrNotHeld)
	held, err := fresh.Locked(ctx(t))
	require.NoError(t, err)
	assert.True(t, held, "the fresh hold survives the stale handle")
	assert.False(t, isClosed(fresh.Lost()))
	require.NoError(t, fresh.Release(ctx(t)))
}
