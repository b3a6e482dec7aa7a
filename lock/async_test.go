package lock_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/future"
	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/driver"
	"github.com/batonlock/baton/lock/local"
	redislock "github.com/batonlock/baton/lock/redis"
	"github.com/batonlock/baton/util"
)

// asyncBackends are the backends the async wrappers must behave the same on.
var asyncBackends = []struct {
	name string
	open func(t *testing.T) lock.Backend
}{
	{"local", func(t *testing.T) lock.Backend {
		b := local.New(driver.DefaultOptions())
		t.Cleanup(func() { _ = b.Close() })
		return b
	}},
	{"miniredis", func(t *testing.T) lock.Backend {
		m := miniredis.RunT(t)
		c := goredis.NewClient(&goredis.Options{Addr: m.Addr(), ContextTimeoutEnabled: true})
		t.Cleanup(func() { _ = c.Close() }) // after the backend's Close: cleanups run last first
		b, err := redislock.New(c, redislock.WithPrefix("async:"))
		require.NoError(t, err)
		t.Cleanup(func() { _ = b.Close() })
		return b
	}},
}

func eachAsyncBackend(t *testing.T, test func(t *testing.T, b lock.Backend)) {
	for _, bk := range asyncBackends {
		t.Run(bk.name, func(t *testing.T) { test(t, bk.open(t)) })
	}
}

func awaitWithin[T any](t *testing.T, f *future.Future[T]) (T, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := f.Await(ctx)
	require.NotErrorIs(t, err, context.DeadlineExceeded, "future did not settle")
	return v, err
}

func newLocks(t *testing.T, b lock.Backend, n int, opts ...lock.Option) []lock.Locker {
	t.Helper()
	ls := make([]lock.Locker, n)
	for i := range ls {
		l, err := b.NewLock(fmt.Sprintf("async-%d", i), opts...)
		require.NoError(t, err)
		ls[i] = l
	}
	return ls
}

// TestAsyncAllAcquireMultiRelease takes N locks at once with future.All over AcquireAsync and
// gives them back with util.Multi over ReleaseAsync.
func TestAsyncAllAcquireMultiRelease(t *testing.T) {
	eachAsyncBackend(t, func(t *testing.T, b lock.Backend) {
		const n = 16
		ctx := context.Background()
		ls := newLocks(t, b, n)

		acquires := make([]*future.Future[bool], n)
		for i, l := range ls {
			acquires[i] = lock.AcquireAsync(ctx, l)
		}
		held, err := awaitWithin(t, future.All(ctx, acquires...))
		require.NoError(t, err)
		require.Len(t, held, n)
		for i, l := range ls {
			assert.True(t, held[i], "lock %d held", i)
			locked, err := l.Locked(ctx)
			require.NoError(t, err)
			assert.True(t, locked)
		}

		releases := make([]*future.Future[struct{}], n)
		for i, l := range ls {
			releases[i] = lock.ReleaseAsync(ctx, l)
		}
		res, err := awaitWithin(t, util.Multi[struct{}](ctx, releases, false))
		require.NoError(t, err)
		assert.Empty(t, res.Failures())
		assert.Len(t, res.Keys, n)
		for _, l := range ls {
			locked, err := l.Locked(ctx)
			require.NoError(t, err)
			assert.False(t, locked, "%s released", l.Name())
		}

		// Releasing again: every slot fails with ErrNotHeld, and Multi says which.
		for i, l := range ls {
			releases[i] = lock.ReleaseAsync(ctx, l)
		}
		res, err = awaitWithin(t, util.Multi[struct{}](ctx, releases, false))
		require.NoError(t, err)
		require.Len(t, res.Failures(), n)
		for _, ferr := range res.Failures() {
			assert.ErrorIs(t, ferr, lock.ErrNotHeld)
		}
	})
}

func TestAcquireAsyncFalseWhenBlockingWindowEnds(t *testing.T) {
	eachAsyncBackend(t, func(t *testing.T, b lock.Backend) {
		ctx := context.Background()
		holder := newLocks(t, b, 1)[0]
		require.NoError(t, holder.Acquire(ctx))
		defer func() { require.NoError(t, holder.Release(ctx)) }()

		for _, blocking := range []time.Duration{lock.NoWait, 20 * time.Millisecond} {
			other := newLocks(t, b, 1, lock.WithBlocking(blocking))[0]
			held, err := awaitWithin(t, lock.AcquireAsync(ctx, other))
			require.NoError(t, err, "the blocking window ending is not an error")
			assert.False(t, held)
		}
	})
}

func TestAcquireAsyncCtxErrorIsAnError(t *testing.T) {
	eachAsyncBackend(t, func(t *testing.T, b lock.Backend) {
		ctx := context.Background()
		holder := newLocks(t, b, 1)[0]
		require.NoError(t, holder.Acquire(ctx))
		defer func() { require.NoError(t, holder.Release(ctx)) }()
		waiter := newLocks(t, b, 1)[0] // blocks until ctx ends

		cctx, cancel := context.WithCancel(ctx)
		f := lock.AcquireAsync(cctx, waiter)
		cancel()
		held, err := awaitWithin(t, f)
		assert.ErrorIs(t, err, context.Canceled)
		assert.False(t, held)

		g := lock.AcquireAsync(ctx, waiter)
		g.Cancel() // Cancel stops the Acquire too
		_, err = awaitWithin(t, g)
		assert.ErrorIs(t, err, context.Canceled)
	})
}

func TestAcquireAsyncClosedBackend(t *testing.T) {
	eachAsyncBackend(t, func(t *testing.T, b lock.Backend) {
		l := newLocks(t, b, 1)[0]
		require.NoError(t, b.Close())
		_, err := awaitWithin(t, lock.AcquireAsync(context.Background(), l))
		assert.ErrorIs(t, err, lock.ErrClosed)
	})
}

func TestReleaseAsyncNotHeld(t *testing.T) {
	eachAsyncBackend(t, func(t *testing.T, b lock.Backend) {
		l := newLocks(t, b, 1)[0]
		_, err := awaitWithin(t, lock.ReleaseAsync(context.Background(), l))
		assert.ErrorIs(t, err, lock.ErrNotHeld)
	})
}

// AcquireAsync gives a future: several locks can be taken at once and awaited together.
func ExampleAcquireAsync() {
	ctx := context.Background()
	b := local.New(driver.DefaultOptions())
	defer b.Close()
	a, _ := b.NewLock("orders")
	c, _ := b.NewLock("invoices")

	held, err := future.All(ctx, lock.AcquireAsync(ctx, a), lock.AcquireAsync(ctx, c)).Await(ctx)
	fmt.Println(held, err)

	res, _ := util.Multi[struct{}](ctx, []*future.Future[struct{}]{
		lock.ReleaseAsync(ctx, a), lock.ReleaseAsync(ctx, c),
	}, false).Await(ctx)
	fmt.Println("failures:", len(res.Failures()))
	// Output:
	// [true true] <nil>
	// failures: 0
}
