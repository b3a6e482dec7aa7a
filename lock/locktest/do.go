package locktest

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
)

func (s *suite) doFnError(t *testing.T) {
	b := s.backend(t)
	l := newLock(t, b, name(t))
	boom := errors.New("boom")
	err := lock.Do(ctx(t), l, func(c context.Context) error {
		held, err := l.Locked(c)
		require.NoError(t, err)
		assert.True(t, held, "fn runs under the lock")
		return boom
	})
	assert.ErrorIs(t, err, boom)
	assert.NotErrorIs(t, err, lock.ErrLost)
	held, err := l.Locked(ctx(t))
	require.NoError(t, err)
	assert.False(t, held, "Do released the lock")
	require.NoError(t, lock.Do(ctx(t), l, func(context.Context) error { return nil }))
}

func (s *suite) doPanic(t *testing.T) {
	b := s.backend(t)
	l := newLock(t, b, name(t))
	assert.PanicsWithValue(t, "boom", func() {
		_ = lock.Do(ctx(t), l, func(context.Context) error { panic("boom") })
	})
	held, err := l.Locked(ctx(t))
	require.NoError(t, err)
	assert.False(t, held, "Do released the lock before the panic went on")
}

// doLoss: when the hold expires, fn's ctx is cancelled with cause ErrLost before the next
// holder gets the lock, and Do reports ErrLost.
func (s *suite) doLoss(t *testing.T) {
	b := s.backend(t)
	n := name(t)
	l := newLock(t, b, n, lock.WithTimeout(shortTTL))
	var fnDone atomic.Bool
	var cause error
	next := newLock(t, b, n)
	nextGot := make(chan bool, 1)
	err := lock.Do(ctx(t), l, func(c context.Context) error {
		go func() {
			if assert.NoError(t, next.Acquire(ctx(t))) {
				nextGot <- fnDone.Load()
			}
		}()
		<-c.Done()
		cause = context.Cause(c)
		fnDone.Store(true)
		return c.Err()
	})
	assert.ErrorIs(t, err, lock.ErrLost)
	assert.ErrorIs(t, cause, lock.ErrLost, "context.Cause says why")
	select {
	case <-nextGot:
	case <-time.After(eventually):
		t.Fatal("the next holder never got the lock")
	}
	require.NoError(t, next.Release(ctx(t)))
}

func (s *suite) doCtxEnds(t *testing.T) {
	b := s.backend(t)
	l := newLock(t, b, name(t))
	c, cancel := context.WithCancel(ctx(t))
	err := lock.Do(c, l, func(c context.Context) error {
		cancel()
		<-c.Done()
		return c.Err()
	})
	assert.ErrorIs(t, err, context.Canceled)
	held, err := l.Locked(ctx(t))
	require.NoError(t, err)
	assert.False(t, held, "released although the caller's ctx ended")
}

func (s *suite) doNotAcquired(t *testing.T) {
	b := s.backend(t)
	n := name(t)
	holder := acquired(t, b, n)
	called := false
	err := lock.Do(ctx(t), newLock(t, b, n, lock.WithBlocking(lock.NoWait)), func(context.Context) error {
		called = true
		return nil
	})
	assert.ErrorIs(t, err, lock.ErrNotAcquired)
	assert.False(t, called, "fn must not run without the lock")
	require.NoError(t, holder.Release(ctx(t)))
}

// doSharedHandle: two goroutines run Do on one handle, which is safe for concurrent use.
// The first hold expires and the second Do takes the lock through the same handle; the
// first Do must not release that hold when its fn returns: while the second fn runs with a
// live ctx, no other handle gets the lock.
func (s *suite) doSharedHandle(t *testing.T) {
	b := s.backend(t)
	n := name(t)
	shared := newLock(t, b, n, lock.WithTimeout(shortTTL))
	firstIn := make(chan struct{})
	firstDone := make(chan error, 1)
	go func() {
		firstDone <- lock.Do(ctx(t), shared, func(c context.Context) error {
			close(firstIn)
			<-c.Done() // the hold expires
			return c.Err()
		})
	}()
	<-firstIn
	secondIn := make(chan context.Context, 1)
	proceed := make(chan struct{})
	secondDone := make(chan error, 1)
	go func() {
		secondDone <- lock.Do(ctx(t), shared, func(c context.Context) error {
			if err := shared.Extend(c, time.Minute); err != nil {
				return err
			}
			secondIn <- c
			<-proceed
			return nil
		})
	}()
	var c2 context.Context
	select {
	case c2 = <-secondIn:
	case err := <-secondDone:
		t.Fatalf("the second Do ended before its fn could hold: %v", err)
	}
	assert.ErrorIs(t, <-firstDone, lock.ErrLost, "the first Do lost its hold")

	other := newLock(t, b, n, lock.WithBlocking(lock.NoWait))
	err := other.Acquire(ctx(t))
	alive := c2.Err() == nil
	if err == nil {
		_ = other.Release(ctx(t))
	}
	close(proceed)
	require.NoError(t, <-secondDone)
	assert.True(t, !alive || errors.Is(err, lock.ErrNotAcquired),
		"another handle took the lock (%v) while the second Do's fn ran with a live ctx: the first Do released the second's hold", err)
}
