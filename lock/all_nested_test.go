package lock_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/driver"
	"github.com/batonlock/baton/lock/local"
)

// TestAllNestedSameNameIsInvalid: an All is a Locker and All accepts it; an All given to All
// stands for its locks, so All(All(a, b), a) names a twice and is ErrInvalid. The check
// compared only the top-level names ("a,b" and "a"), and the Acquire waited for itself until
// ctx ended.
func TestAllNestedSameNameIsInvalid(t *testing.T) {
	b := local.New(driver.DefaultOptions())
	defer b.Close()
	mk := func(n string) lock.Locker {
		l, err := b.NewLock(n)
		require.NoError(t, err)
		return l
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err := lock.All(lock.All(mk("a"), mk("b")), mk("a")).Acquire(ctx)
	assert.ErrorIs(t, err, lock.ErrInvalid, "name \"a\" given twice; got %v", err)
}

// TestAllNestedTakesNamesInOrder: All(All(a, c), b) must take a, b, then c, so that it
// never waits in a cycle with All(b, c). It sorted its direct locks by Name, and a nested
// All's name is its names joined ("a,c"): it took a, c, then b, while All(b, c) took b, then
// c, and both timed out.
func TestAllNestedTakesNamesInOrder(t *testing.T) {
	bk := local.New(driver.DefaultOptions())
	defer bk.Close()
	waiting := make(chan struct{}, 4)
	mk := func(n string) lock.Locker {
		var opts []lock.Option
		if n == "b" || n == "c" {
			opts = append(opts, lock.WithObserver(lock.ObserverFunc(func(e lock.Event) {
				if e.Kind == lock.Waiting {
					waiting <- struct{}{}
				}
			})))
		}
		l, err := bk.NewLock(n, opts...)
		require.NoError(t, err)
		return l
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	bg := context.Background()
	gate := mk("c")
	require.NoError(t, gate.Acquire(bg)) // c is held, so both callers line up on it

	first := lock.All(lock.All(mk("a"), mk("c")), mk("b"))
	second := lock.All(mk("b"), mk("c"))
	run := func(l lock.Locker) <-chan error {
		got := make(chan error, 1)
		go func() {
			err := l.Acquire(ctx)
			if err == nil {
				_ = l.Release(bg)
			}
			got <- err
		}()
		return got
	}
	got1 := run(first)
	<-waiting // first holds a (and b, in name order) and waits for c
	got2 := run(second)
	<-waiting // second waits for b (or, taken out of order, holds b and waits for c)
	require.NoError(t, gate.Release(bg))
	err1, err2 := <-got1, <-got2
	assert.NoError(t, err1, "All(All(a,c), b)")
	assert.NoError(t, err2, "All(b, c)")
}
