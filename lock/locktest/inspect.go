package locktest

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
)

// inspect: Inspect agrees with what the test holds and waits for: the holds in the order
// they began, with owner, fence and time left, and the waiters; nothing once the name is
// unused.
func (s *primitives) inspect(t *testing.T) {
	b := s.backend(t)
	n := name(t)
	info, err := lock.Inspect(ctx(t), b, n)
	require.NoError(t, err, "the backend is a lock.Inspector")
	assert.Equal(t, lock.Info{Name: n}, info, "a name no one uses")

	timed := acquired(t, b, n, lock.WithPermits(2), lock.WithOwner("pod-a"), lock.WithTimeout(eventually))
	plain := acquired(t, b, n, lock.WithPermits(2), lock.WithOwner("pod-b"))
	probe := newWaitProbe()
	waiter := newLock(t, b, n, lock.WithPermits(2), lock.WithObserver(probe))
	got := probe.queued(t, waiter, "the waiter")

	info, err = lock.Inspect(ctx(t), b, n)
	require.NoError(t, err)
	assert.Equal(t, n, info.Name)
	assert.Equal(t, 1, info.Waiters)
	require.Len(t, info.Holds, 2)
	a, p := info.Holds[0], info.Holds[1]
	assert.Equal(t, "pod-a", a.Owner)
	assert.Equal(t, timed.Fence(), a.Fence)
	assert.False(t, a.Shared)
	assert.Positive(t, a.TTL, "a timed hold has time left")
	assert.LessOrEqual(t, a.TTL, eventually)
	assert.Equal(t, "pod-b", p.Owner)
	assert.Equal(t, plain.Fence(), p.Fence)

	require.NoError(t, timed.Release(ctx(t)))
	require.NoError(t, result(t, got, "the waiter"))
	require.NoError(t, plain.Release(ctx(t)))
	require.NoError(t, waiter.Release(ctx(t)))
	info, err = lock.Inspect(ctx(t), b, n)
	require.NoError(t, err)
	assert.Equal(t, lock.Info{Name: n}, info, "nothing once the name is unused")

	_, err = lock.Inspect(ctx(t), b, "")
	assert.ErrorIs(t, err, lock.ErrInvalid)
	require.NoError(t, b.Close())
	_, err = lock.Inspect(ctx(t), b, n)
	assert.True(t, errors.Is(err, lock.ErrClosed), "%v", err)
}

// inspectShared: shared holds say so, and carry the default owner when none was given.
func (s *primitives) inspectShared(t *testing.T) {
	b := s.backend(t)
	n := name(t)
	r1 := acquired(t, b, n, lock.WithShared())
	r2 := acquired(t, b, n, lock.WithShared(), lock.WithOwner("reader-2"))
	info, err := lock.Inspect(ctx(t), b, n)
	require.NoError(t, err)
	require.Len(t, info.Holds, 2)
	assert.True(t, info.Holds[0].Shared && info.Holds[1].Shared)
	assert.Contains(t, info.Holds[0].Owner, "/", "the default owner is <hostname>/<pid>")
	assert.Equal(t, "reader-2", info.Holds[1].Owner)
	require.NoError(t, r1.Release(ctx(t)))
	require.NoError(t, r2.Release(ctx(t)))
}
