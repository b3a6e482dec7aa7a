package local_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/driver"
	"github.com/batonlock/baton/lock/local"
)

// waitingProbe reports each Waiting event of the locks it observes.
type waitingProbe chan string

func (p waitingProbe) Observe(e lock.Event) {
	if e.Kind == lock.Waiting {
		p <- e.Name
	}
}

func newLock(t *testing.T, b lock.Backend, name string, opts ...lock.Option) lock.Locker {
	t.Helper()
	l, err := b.NewLock(name, opts...)
	require.NoError(t, err)
	return l
}

// TestPermitsAndSharedLeaveNoState: semaphores and shared holds, with waiters that give up
// and waiters that are admitted, leave no state once every hold is released.
func TestPermitsAndSharedLeaveNoState(t *testing.T) {
	ctx := context.Background()
	b := local.New(driver.DefaultOptions())
	defer b.Close()
	probe := make(waitingProbe, 8)
	holders := []lock.Locker{newLock(t, b, "sem", lock.WithPermits(2)), newLock(t, b, "sem", lock.WithPermits(2)),
		newLock(t, b, "rw", lock.WithShared()), newLock(t, b, "rw", lock.WithShared())}
	for _, l := range holders {
		require.NoError(t, l.Acquire(ctx))
	}
	gaveUp, cancel := context.WithCancel(ctx)
	quitter := make(chan error, 1)
	quits := newLock(t, b, "sem", lock.WithPermits(2), lock.WithObserver(probe))
	go func() { quitter <- quits.Acquire(gaveUp) }()
	assert.Equal(t, "sem", <-probe)
	writer := newLock(t, b, "rw", lock.WithObserver(probe))
	admitted := make(chan error, 1)
	go func() { admitted <- writer.Acquire(ctx) }()
	assert.Equal(t, "rw", <-probe)
	cancel()
	assert.ErrorIs(t, <-quitter, context.Canceled)
	for _, l := range holders {
		require.NoError(t, l.Release(ctx))
	}
	require.NoError(t, <-admitted)
	assert.Equal(t, 1, b.Len(), "only the writer's name is in use")
	require.NoError(t, writer.Release(ctx))
	assert.Zero(t, b.Len(), "names left in the registry")
}

// TestCloseEndsEveryPermit: Close ends every hold of a semaphore, and each says why.
func TestCloseEndsEveryPermit(t *testing.T) {
	ctx := context.Background()
	b := local.New(driver.DefaultOptions())
	var ls []lock.Locker
	for range 3 {
		l := newLock(t, b, "sem", lock.WithPermits(3))
		require.NoError(t, l.Acquire(ctx))
		ls = append(ls, l)
	}
	require.NoError(t, b.Close())
	for _, l := range ls {
		select {
		case <-l.Lost():
		default:
			t.Fatal("a permit's Lost is open after Close")
		}
		err := l.Release(ctx)
		assert.ErrorIs(t, err, lock.ErrLost)
		assert.ErrorIs(t, err, lock.ErrClosed)
	}
}

// TestWaitingNamesTheLock: the Waiting event comes once per Acquire that waits, not for one
// that is granted at once or tries once.
func TestWaitingNamesTheLock(t *testing.T) {
	ctx := context.Background()
	b := local.New(driver.DefaultOptions())
	defer b.Close()
	probe := make(waitingProbe, 8)
	holder := newLock(t, b, "n", lock.WithObserver(probe))
	require.NoError(t, holder.Acquire(ctx))
	try := newLock(t, b, "n", lock.WithObserver(probe), lock.WithBlocking(lock.NoWait))
	require.ErrorIs(t, try.Acquire(ctx), lock.ErrNotAcquired)
	waiter := newLock(t, b, "n", lock.WithObserver(probe))
	got := make(chan error, 1)
	go func() { got <- waiter.Acquire(ctx) }()
	assert.Equal(t, "n", <-probe)
	require.NoError(t, holder.Release(ctx))
	require.NoError(t, <-got)
	require.NoError(t, waiter.Release(ctx))
	assert.Empty(t, probe, "one Waiting event in all")
	assert.Equal(t, "waiting", lock.Waiting.String())
}
