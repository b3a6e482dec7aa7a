package locktest

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
)

// The rules of lock.All, which every backend meets because All uses only the Locker
// contract and the backend's loss hook.

// allInvalid: no locks, a nil lock and the same name twice are ErrInvalid at Acquire.
func (s *suite) allInvalid(t *testing.T) {
	b := s.backend(t)
	n := name(t)
	var nilLock lock.Locker
	for what, all := range map[string]lock.Locker{
		"no locks":        lock.All(),
		"a nil lock":      lock.All(newLock(t, b, n+":a"), nilLock),
		"a name twice":    lock.All(newLock(t, b, n+":a"), newLock(t, b, n+":b"), newLock(t, b, n+":a")),
		"a nil *Locker()": lock.All((*nilLocker)(nil)),
	} {
		assert.ErrorIs(t, all.Acquire(ctx(t)), lock.ErrInvalid, what)
		assert.ErrorIs(t, all.Release(ctx(t)), lock.ErrInvalid, what)
	}
	held, err := newLock(t, b, n+":a").Locked(ctx(t))
	require.NoError(t, err)
	assert.False(t, held, "an invalid All takes nothing")
}

// nilLocker is a Locker type whose nil pointer All must refuse rather than call.
type nilLocker struct{ lock.Locker }

// allBasics: Acquire takes every lock, Locked is true while any is held, Fence is 0,
// Extend reaches every lock, Release frees them all.
func (s *suite) allBasics(t *testing.T) {
	b := s.backend(t)
	n := name(t)
	a, c := newLock(t, b, n+":a", lock.WithTimeout(eventually)), newLock(t, b, n+":c")
	all := lock.All(c, a)
	assert.Equal(t, n+":a,"+n+":c", all.Name(), "the names in name order")
	assert.Nil(t, all.Lost(), "no hold yet")
	require.NoError(t, all.Acquire(ctx(t)))
	for _, l := range []lock.Locker{a, c} {
		other := newLock(t, b, l.Name(), lock.WithBlocking(lock.NoWait))
		assert.ErrorIs(t, other.Acquire(ctx(t)), lock.ErrNotAcquired, "%s is held by the All", l.Name())
	}
	held, err := all.Locked(ctx(t))
	require.NoError(t, err)
	assert.True(t, held)
	assert.Zero(t, all.Fence(), "an All has no fence of its own")
	assert.NotZero(t, a.Fence())
	require.NoError(t, all.Extend(ctx(t), 2*eventually))
	lost := all.Lost()
	require.NoError(t, all.Release(ctx(t)))
	assert.False(t, isClosed(lost), "a released All's Lost stays open")
	held, err = all.Locked(ctx(t))
	require.NoError(t, err)
	assert.False(t, held)
	assert.ErrorIs(t, all.Release(ctx(t)), lock.ErrNotHeld)
	assert.ErrorIs(t, all.Extend(ctx(t), eventually), lock.ErrNotHeld)
}

// allNoDeadlock: two Alls over {a,b} and {b,a}, on their own handles, in a loop: each
// takes the names in name order, so neither waits for the other in a cycle.
func (s *suite) allNoDeadlock(t *testing.T) {
	b := s.backend(t)
	n := name(t)
	one := lock.All(newLock(t, b, n+":a"), newLock(t, b, n+":b"))
	two := lock.All(newLock(t, b, n+":b"), newLock(t, b, n+":a"))
	var inside, overlaps int32
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, all := range []lock.Locker{one, two} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				if !assert.NoError(t, all.Acquire(ctx(t)), "no deadlock") {
					return
				}
				mu.Lock()
				inside++
				if inside > 1 {
					overlaps++
				}
				mu.Unlock()
				mu.Lock()
				inside--
				mu.Unlock()
				if !assert.NoError(t, all.Release(ctx(t))) {
					return
				}
			}
		}()
	}
	wg.Wait()
	assert.Zero(t, overlaps, "two Alls over the same names held at once")
}

// allPartialFailure: when a later lock cannot be taken, the ones already taken are
// released, so nothing stays held, and Acquire returns that lock's error.
func (s *suite) allPartialFailure(t *testing.T) {
	b := s.backend(t)
	n := name(t)
	holder := acquired(t, b, n+":b")
	all := lock.All(newLock(t, b, n+":b", lock.WithBlocking(lock.NoWait)), newLock(t, b, n+":a", lock.WithBlocking(lock.NoWait)))
	assert.ErrorIs(t, all.Acquire(ctx(t)), lock.ErrNotAcquired)
	free := newLock(t, b, n+":a", lock.WithBlocking(lock.NoWait))
	require.NoError(t, free.Acquire(ctx(t)), "the lock All took first was released")
	require.NoError(t, free.Release(ctx(t)))

	// The same when ctx ends while All waits for the second lock.
	waiting := lock.All(newLock(t, b, n+":a"), newLock(t, b, n+":b"))
	c, cancel := context.WithCancel(ctx(t))
	got := acquireAsync(c, waiting)
	pending(t, got, quiet, "All waiting for a held lock")
	cancel()
	err := result(t, got, "All whose ctx ended")
	assert.ErrorIs(t, err, context.Canceled)
	assert.NotErrorIs(t, err, lock.ErrNotAcquired)
	require.NoError(t, free.Acquire(ctx(t)), "the lock All took first was released")
	require.NoError(t, free.Release(ctx(t)))
	require.NoError(t, holder.Release(ctx(t)))
}

// allLost: Lost closes when any of the holds is lost, and Do's ctx is cancelled with
// ErrLost; Do still releases the others.
func (s *suite) allLost(t *testing.T) {
	b := s.backend(t)
	n := name(t)
	short := newLock(t, b, n+":a", lock.WithTimeout(shortTTL))
	long := newLock(t, b, n+":b")
	all := lock.All(short, long)
	err := lock.Do(ctx(t), all, func(c context.Context) error {
		closed(t, all.Lost(), "the All's Lost")
		<-c.Done()
		assert.ErrorIs(t, context.Cause(c), lock.ErrLost)
		return c.Err()
	})
	assert.ErrorIs(t, err, lock.ErrLost)
	held, err := long.Locked(ctx(t))
	require.NoError(t, err)
	assert.False(t, held, "Do released the lock that was not lost")
}
