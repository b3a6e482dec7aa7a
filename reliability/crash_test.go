package reliability_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redistest"
	"github.com/batonlock/baton/lock"
	redislock "github.com/batonlock/baton/lock/redis"
)

// Covered in lock/redis: a server down before anything starts (TestServerDown), one
// leased hold lost when the server dies (TestLeaseLostWhenServerDies), a waiter woken by
// the resubscription after a restart (TestServerRestart).

// TestKillWithHoldersAndWaiters: SIGKILL the server while holds (inside lock.Do, and a timed
// one) and waiters (with a blocking window, with a ctx deadline) exist. Every Do's ctx ends
// with ErrLost before the server could have expired its key; every waiter returns at its
// deadline with the right error; Release, Extend and Locked return errors. After a restart
// on the same port the same backends take locks again, and a waiter of another backend is
// woken by the release message (its holder's key has a 30s TTL: the TTL cannot be what woke
// it), so the pub/sub connection came back by itself.
func TestKillWithHoldersAndWaiters(t *testing.T) {
	const lease = time.Second
	const window = 1500 * time.Millisecond
	s := redistest.Start(t)
	a := newBackend(t, newClient(t, s.Addr()), redislock.WithLease(lease), redislock.WithDriftMargin(lease/10))
	b := newBackend(t, newClient(t, s.Addr()), redislock.WithLease(lease))
	ctx := testCtx(t)

	type doResult struct {
		err   error
		cause error
		at    time.Time
	}
	const holders = 3
	var wg sync.WaitGroup
	dos := make([]doResult, holders)
	inside := make(chan struct{}, holders)
	for i := 0; i < holders; i++ {
		l := newLock(t, a, fmt.Sprintf("kill:%d", i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			dos[i].err = lock.Do(ctx, l, func(fctx context.Context) error {
				inside <- struct{}{}
				<-fctx.Done()
				dos[i].at, dos[i].cause = time.Now(), context.Cause(fctx)
				return nil
			})
		}()
	}
	for i := 0; i < holders; i++ {
		<-inside
	}
	timed := newLock(t, a, "kill:timed", lock.WithTimeout(time.Minute))
	require.NoError(t, timed.Acquire(ctx))

	type waitResult struct {
		err  error
		took time.Duration
	}
	waits := make([]waitResult, 2*holders)
	for i := range waits {
		name := fmt.Sprintf("kill:%d", i/2)
		var l lock.Locker
		wctx, cancel := ctx, context.CancelFunc(func() {})
		if i%2 == 0 {
			l = newLock(t, b, name, lock.WithBlocking(window))
		} else {
			l = newLock(t, b, name)
			wctx, cancel = context.WithTimeout(ctx, window)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer cancel()
			start := time.Now()
			err := l.Acquire(wctx)
			waits[i] = waitResult{err, time.Since(start)}
		}()
	}
	time.Sleep(100 * time.Millisecond) // the waiters are waiting
	s.Kill()
	killed := time.Now()

	err := timed.Extend(ctx, time.Minute)
	assert.Error(t, err, "Extend with the server down")
	assert.NotErrorIs(t, err, lock.ErrNotHeld, "the hold is not known to be gone: %v", err)
	_, err = timed.Locked(ctx)
	assert.Error(t, err)
	assert.Error(t, timed.Release(ctx), "Release with the server down")
	assert.ErrorIs(t, timed.Release(ctx), lock.ErrNotHeld, "the hold ended with the failed Release")

	wg.Wait()
	for i, d := range dos {
		assert.ErrorIs(t, d.err, lock.ErrLost, "Do %d", i)
		assert.ErrorIs(t, d.cause, lock.ErrLost, "Do %d's ctx", i)
		assert.True(t, d.at.Before(killed.Add(lease)),
			"Do %d told %v after the kill, the lease is %v", i, d.at.Sub(killed), lease)
	}
	for i, w := range waits {
		if i%2 == 0 {
			assert.ErrorIs(t, w.err, lock.ErrNotAcquired, "waiter %d (blocking window)", i)
			assert.NotErrorIs(t, w.err, context.DeadlineExceeded)
		} else {
			assert.ErrorIs(t, w.err, context.DeadlineExceeded, "waiter %d (ctx deadline)", i)
			assert.NotErrorIs(t, w.err, lock.ErrNotAcquired)
		}
		assert.Less(t, w.took, window+time.Second, "waiter %d returned %v after its deadline", i, w.took-window)
	}

	s.Restart()
	again := newLock(t, a, "kill:0", lock.WithBlocking(eventually), lock.WithTimeout(30*time.Second))
	require.NoError(t, again.Acquire(ctx), "the same backend takes locks after the restart")
	waiter := newLock(t, b, "kill:0", lock.WithBlocking(eventually))
	got := make(chan error, 1)
	go func() { got <- waiter.Acquire(ctx) }()
	time.Sleep(100 * time.Millisecond)
	require.NoError(t, again.Release(ctx))
	select {
	case err := <-got:
		require.NoError(t, err)
	case <-time.After(eventually):
		t.Fatal("the waiter was not woken by the release: the subscription did not come back")
	}
	assert.Greater(t, waiter.Fence(), again.Fence())
	require.NoError(t, waiter.Release(ctx))
	assert.False(t, errors.Is(ctx.Err(), context.DeadlineExceeded))
}
