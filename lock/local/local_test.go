package local_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/driver"
	"github.com/batonlock/baton/lock/local"
	"github.com/batonlock/baton/lock/locktest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestConformance runs the suite on peers of one backend: one store, as Redis backends on
// one server are, so the suite also sees what one backend's Close does for another.
func TestConformance(t *testing.T) {
	base := local.New(driver.DefaultOptions())
	t.Cleanup(func() { _ = base.Close() })
	locktest.Run(t, func(t *testing.T) lock.Backend { return base.Peer() })
}

// TestPrimitives runs permits, shared holds and Inspect, with fights over peers of one store.
func TestPrimitives(t *testing.T) {
	locktest.RunPrimitives(t, locktest.Harness{
		Open: func(t *testing.T) lock.Backend { return local.New(driver.DefaultOptions()) },
		Peers: func(t *testing.T, b lock.Backend, n int) []lock.Backend {
			peers := make([]lock.Backend, n)
			for i := range peers {
				peers[i] = b.(*local.Backend).Peer()
			}
			return peers
		},
	})
}

// TestConformanceThroughOpen: every backend of local:// is a store of its own.
func TestConformanceThroughOpen(t *testing.T) {
	locktest.Run(t, func(t *testing.T) lock.Backend {
		b, err := lock.Open(context.Background(), "local://")
		require.NoError(t, err)
		return b
	}, locktest.Isolated())
}

func TestBackendsAreIndependent(t *testing.T) {
	ctx := context.Background()
	a, b := local.New(driver.DefaultOptions()), local.New(driver.DefaultOptions())
	defer a.Close()
	defer b.Close()
	la, err := a.NewLock("same")
	require.NoError(t, err)
	lb, err := b.NewLock("same", lock.WithBlocking(lock.NoWait))
	require.NoError(t, err)
	require.NoError(t, la.Acquire(ctx))
	require.NoError(t, lb.Acquire(ctx), "another backend's lock of the same name is another lock")
	require.NoError(t, la.Release(ctx))
	require.NoError(t, lb.Release(ctx))
}

// TestRegistryForgetsNames locks 10⁶ distinct names and checks that the backend keeps no
// state for any of them afterwards, and that the heap is back where it started.
func TestRegistryForgetsNames(t *testing.T) {
	if testing.Short() {
		t.Skip("locks a million names")
	}
	ctx := context.Background()
	b := local.New(driver.DefaultOptions())
	defer b.Close()
	const names = 1_000_000
	cycle := func(i int) {
		l, err := b.NewLock(fmt.Sprintf("order:%d", i))
		require.NoError(t, err)
		require.NoError(t, l.Acquire(ctx))
		require.NoError(t, l.Release(ctx))
	}
	for i := 0; i < 1000; i++ { // warm up the map and free list
		cycle(i)
	}
	before := heapInUse()
	for i := 0; i < names; i++ {
		cycle(i)
	}
	after := heapInUse()
	assert.Zero(t, b.Len(), "names left in the registry")
	// The free list and runtime caches may move the heap by a few pages, not by a byte per name.
	assert.Less(t, int64(after)-int64(before), int64(names/4),
		"heap grew from %d to %d bytes over %d names", before, after, names)
}

// TestWaitersLeaveNoState: waiters that give up leave nothing behind either.
func TestWaitersLeaveNoState(t *testing.T) {
	b := local.New(driver.DefaultOptions())
	defer b.Close()
	ctx, cancel := context.WithCancel(context.Background())
	holder, err := b.NewLock("n")
	require.NoError(t, err)
	require.NoError(t, holder.Acquire(ctx))
	errs := make(chan error, 10)
	for i := 0; i < 10; i++ {
		w, err := b.NewLock("n")
		require.NoError(t, err)
		go func() { errs <- w.Acquire(ctx) }()
	}
	cancel()
	for i := 0; i < 10; i++ {
		assert.ErrorIs(t, <-errs, context.Canceled)
	}
	require.NoError(t, holder.Release(context.Background()))
	assert.Zero(t, b.Len())
}

func TestObserverSeesEvents(t *testing.T) {
	var kinds []lock.EventKind
	obs := lock.ObserverFunc(func(e lock.Event) {
		assert.Equal(t, "n", e.Name)
		kinds = append(kinds, e.Kind)
	})
	b := local.New(driver.DefaultOptions())
	defer b.Close()
	ctx := context.Background()
	l, err := b.NewLock("n", lock.WithObserver(obs))
	require.NoError(t, err)
	try, err := b.NewLock("n", lock.WithObserver(obs), lock.WithBlocking(lock.NoWait))
	require.NoError(t, err)
	require.NoError(t, l.Acquire(ctx))
	require.ErrorIs(t, try.Acquire(ctx), lock.ErrNotAcquired)
	require.NoError(t, l.Release(ctx))
	assert.Equal(t, []lock.EventKind{lock.Acquired, lock.NotAcquired, lock.Released}, kinds)
}

func TestOpenRejectsBadLocalURLs(t *testing.T) {
	for _, u := range []string{"local://host", "local:///path", "local://?x=1", "local://?timeout=soon", "local://?blocking=-3s"} {
		_, err := lock.Open(context.Background(), u)
		assert.ErrorIs(t, err, lock.ErrInvalid, u)
	}
	b, err := lock.Open(context.Background(), "local://?timeout=2s&blocking=forever")
	require.NoError(t, err)
	require.NoError(t, b.Close())
}

func heapInUse() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}
