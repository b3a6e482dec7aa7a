package locktest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
)

func (s *suite) noWait(t *testing.T) {
	b := s.backend(t)
	n := name(t)
	holder := acquired(t, b, n)
	try := newLock(t, b, n, lock.WithBlocking(lock.NoWait))
	err := try.Acquire(ctx(t))
	assert.ErrorIs(t, err, lock.ErrNotAcquired)
	assert.NotErrorIs(t, err, context.Canceled)
	assert.NotErrorIs(t, err, context.DeadlineExceeded)
	assert.Nil(t, try.Lost(), "a failed Acquire makes no hold")

	// Nor does NoWait wait in line behind a waiter of its own process.
	waiter, queued := waiting(t, ctx(t), b, n, "the waiter")
	assert.ErrorIs(t, result(t, acquireAsync(ctx(t), try), "NoWait behind a waiter"), lock.ErrNotAcquired)
	require.NoError(t, holder.Release(ctx(t)))
	require.NoError(t, result(t, queued, "the waiter"))
	require.NoError(t, waiter.Release(ctx(t)))

	require.NoError(t, try.Acquire(ctx(t)), "NoWait takes a free lock")
	require.NoError(t, try.Release(ctx(t)))
}

func (s *suite) blockFor(t *testing.T) {
	b := s.backend(t)
	n := name(t)
	holder := acquired(t, b, n)
	const window = 120 * time.Millisecond
	waiter := newLock(t, b, n, lock.WithBlocking(window))
	start := time.Now()
	err := waiter.Acquire(ctx(t))
	assert.ErrorIs(t, err, lock.ErrNotAcquired)
	assert.NotErrorIs(t, err, context.DeadlineExceeded, "the window ending is not a ctx deadline")
	assert.GreaterOrEqual(t, time.Since(start), window-10*time.Millisecond, "gave up before the window ended")

	patient, got := waiting(t, ctx(t), b, n, "Acquire within its window", lock.WithBlocking(eventually))
	require.NoError(t, holder.Release(ctx(t)))
	require.NoError(t, result(t, got, "Acquire within its window"))
	require.NoError(t, patient.Release(ctx(t)))
}

func (s *suite) forever(t *testing.T) {
	b := s.backend(t)
	n := name(t)
	holder := acquired(t, b, n)
	waiter, got := waiting(t, ctx(t), b, n, "Forever waiter") // Forever is the default
	pending(t, got, quiet, "Forever waiter")
	require.NoError(t, holder.Release(ctx(t)))
	require.NoError(t, result(t, got, "Forever waiter"))
	require.NoError(t, waiter.Release(ctx(t)))
}

func (s *suite) ctxCancel(t *testing.T) {
	b := s.backend(t)
	n := name(t)
	holder := acquired(t, b, n)
	c, cancel := context.WithCancel(ctx(t))
	_, got := waiting(t, c, b, n, "cancelled waiter", lock.WithBlocking(eventually))
	cancel()
	err := result(t, got, "cancelled waiter")
	assert.ErrorIs(t, err, context.Canceled)
	assert.NotErrorIs(t, err, lock.ErrNotAcquired, "ctx ending is not the blocking window ending")
	require.NoError(t, holder.Release(ctx(t)), "the holder is unaffected")
}

func (s *suite) ctxDeadline(t *testing.T) {
	b := s.backend(t)
	n := name(t)
	holder := acquired(t, b, n)
	c, cancel := context.WithTimeout(ctx(t), 100*time.Millisecond)
	defer cancel()
	err := newLock(t, b, n).Acquire(c)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotErrorIs(t, err, lock.ErrNotAcquired)
	require.NoError(t, holder.Release(ctx(t)))
}

func (s *suite) ctxDoneBefore(t *testing.T) {
	b := s.backend(t)
	l := newLock(t, b, name(t))
	c, cancel := context.WithCancel(ctx(t))
	cancel()
	assert.ErrorIs(t, l.Acquire(c), context.Canceled, "a done ctx takes nothing, even a free lock")
	held, err := l.Locked(ctx(t))
	require.NoError(t, err)
	assert.False(t, held)
}

// giveUpPassesOn: waiters that give up (ctx or window) leave the queue without taking the
// wake-up meant for the waiter behind them.
func (s *suite) giveUpPassesOn(t *testing.T) {
	b := s.backend(t)
	n := name(t)
	holder := acquired(t, b, n)
	c, cancel := context.WithCancel(ctx(t))
	_, cancelled := waiting(t, c, b, n, "cancelled waiter")
	// A window long enough to see it start to wait on a loaded machine; whether it ends
	// before or after the last waiter queues, it must not take that waiter's turn.
	_, windowed := waiting(t, ctx(t), b, n, "windowed waiter", lock.WithBlocking(5*quiet))
	last, got := waiting(t, ctx(t), b, n, "the waiter behind those that gave up")

	cancel()
	assert.ErrorIs(t, result(t, cancelled, "cancelled waiter"), context.Canceled)
	assert.ErrorIs(t, result(t, windowed, "windowed waiter"), lock.ErrNotAcquired)
	require.NoError(t, holder.Release(ctx(t)))
	require.NoError(t, result(t, got, "the waiter behind those that gave up"))
	require.NoError(t, last.Release(ctx(t)))
}

// giveUpRacingRelease cancels a waiter at the moment the lock is released to it, many times:
// either it takes the lock or it passes it on, and the next waiter always gets it.
func (s *suite) giveUpRacingRelease(t *testing.T) {
	b := s.backend(t)
	n := name(t)
	for i := 0; i < 30; i++ {
		holder := acquired(t, b, n)
		c, cancel := context.WithCancel(ctx(t))
		racer, raced := waiting(t, c, b, n, "racing waiter")
		next, got := waiting(t, ctx(t), b, n, "waiter after the racer")

		if i%2 == 0 {
			// The racer is woken by its ctx but has not run yet when the lock is released:
			// the release hands it the lock just as it gives up.
			cancel()
			require.NoError(t, holder.Release(ctx(t)))
		} else {
			var wg sync.WaitGroup
			wg.Add(2)
			go func() { defer wg.Done(); cancel() }()
			go func() { defer wg.Done(); assert.NoError(t, holder.Release(ctx(t))) }()
			wg.Wait()
		}
		if err := result(t, raced, "racing waiter"); err == nil {
			require.NoError(t, racer.Release(ctx(t)), "round %d", i)
		} else {
			require.ErrorIs(t, err, context.Canceled, "round %d", i)
		}
		require.NoError(t, result(t, got, "waiter after the racer"), "round %d", i)
		require.NoError(t, next.Release(ctx(t)))
	}
}

// fifo: waiters in one process are served in arrival order.
func (s *suite) fifo(t *testing.T) {
	b := s.backend(t)
	n := name(t)
	holder := acquired(t, b, n)
	var (
		mu    sync.Mutex
		order []int
		wg    sync.WaitGroup
	)
	const waiters = 5
	for i := 0; i < waiters; i++ {
		o, w := watchWaits()
		l := newLock(t, b, n, o)
		got := make(chan error, 1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.Acquire(ctx(t)); !assert.NoError(t, err) {
				got <- err
				return
			}
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			assert.NoError(t, l.Release(ctx(t)))
		}()
		w.started(t, got, fmt.Sprintf("waiter %d", i)) // waiter i queues before waiter i+1 arrives
	}
	require.NoError(t, holder.Release(ctx(t)))
	wg.Wait()
	assert.Equal(t, []int{0, 1, 2, 3, 4}, order)
}
