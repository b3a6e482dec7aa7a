package lock_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/driver"
	"github.com/batonlock/baton/lock/local"
)

// TestDoOnSharedAllAfterLoss: two goroutines run Do on one All. The first loses its hold
// when a's timeout ends; the second's Acquire takes a at once and waits for b, which the
// first Do still holds. The first Do, its fn done, must release b only: releasing the
// whole All (its Lost channel is unchanged until the second Acquire has every lock) freed
// the a the second Acquire had taken, and another handle took "a" while the second fn ran.
func TestDoOnSharedAllAfterLoss(t *testing.T) {
	bk := local.New(driver.DefaultOptions())
	defer bk.Close()
	bg := context.Background()
	ctx, cancel := context.WithTimeout(bg, 10*time.Second)
	defer cancel()

	waitingB := make(chan struct{}, 8)
	a, err := bk.NewLock("a", lock.WithTimeout(100*time.Millisecond))
	require.NoError(t, err)
	b, err := bk.NewLock("b", lock.WithObserver(lock.ObserverFunc(func(e lock.Event) {
		if e.Kind == lock.Waiting {
			waitingB <- struct{}{}
		}
	})))
	require.NoError(t, err)
	all := lock.All(a, b)

	lost1 := make(chan struct{})
	proceed1 := make(chan struct{})
	done1 := make(chan error, 1)
	go func() {
		done1 <- lock.Do(ctx, all, func(c context.Context) error {
			<-c.Done() // a's timeout ends: the All hold is lost
			close(lost1)
			<-proceed1
			return c.Err()
		})
	}()
	<-lost1

	in2 := make(chan context.Context, 1)
	proceed2 := make(chan struct{})
	done2 := make(chan error, 1)
	go func() {
		done2 <- lock.Do(ctx, all, func(c context.Context) error {
			in2 <- c
			<-proceed2
			return nil
		})
	}()
	select {
	case <-waitingB: // the second Acquire took a and waits for b, which the first Do holds
	case err := <-done2:
		t.Fatalf("the second Do ended early: %v", err)
	case <-ctx.Done():
		t.Fatal("the second Do never waited for b")
	}
	close(proceed1)
	require.ErrorIs(t, <-done1, lock.ErrLost)

	var c2 context.Context
	select {
	case c2 = <-in2:
	case err := <-done2:
		t.Fatalf("the second Do ended before its fn ran: %v", err)
	}
	other, err := bk.NewLock("a", lock.WithBlocking(lock.NoWait))
	require.NoError(t, err)
	oerr := other.Acquire(ctx)
	alive := c2.Err() == nil
	if oerr == nil {
		_ = other.Release(bg)
	}
	close(proceed2)
	<-done2
	require.True(t, !alive || errors.Is(oerr, lock.ErrNotAcquired),
		"another handle took \"a\" (%v) while the second Do's fn ran on the shared All with a live ctx: the first Do released the lock the second Acquire had taken", oerr)
}
