package local_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/driver"
	"github.com/batonlock/baton/lock/local"
)

// TestPeerCloseEndsOnlyItsOwn: closing one of two peers ends its holds and waits, hands the
// names it held to the other's waiters, and leaves the other's holds and waits alone.
func TestPeerCloseEndsOnlyItsOwn(t *testing.T) {
	ctx := context.Background()
	opts := driver.DefaultOptions()
	opts.Logger = slog.New(slog.DiscardHandler) // holds are lost on purpose here
	a := local.New(opts)
	p := a.Peer()
	defer p.Close()
	handle := func(b lock.Backend, name string, opts ...lock.Option) lock.Locker {
		l, err := b.NewLock(name, opts...)
		require.NoError(t, err)
		return l
	}
	waitsOn := func(b lock.Backend, name string) <-chan error {
		started := make(chan struct{})
		l := handle(b, name, lock.WithObserver(lock.ObserverFunc(func(e lock.Event) {
			if e.Kind == lock.Waiting {
				close(started)
			}
		})))
		got := make(chan error, 1)
		go func() { got <- l.Acquire(ctx) }()
		waitClosed(t, started, "the waiter of "+name)
		return got
	}

	mine, theirs := handle(a, "mine"), handle(p, "theirs")
	require.NoError(t, mine.Acquire(ctx))
	require.NoError(t, theirs.Acquire(ctx))
	peerWaits := waitsOn(p, "mine")
	ownWaits := waitsOn(a, "theirs")
	require.NoError(t, a.Close())

	assert.ErrorIs(t, result(t, ownWaits), lock.ErrClosed, "the closed backend's waiter")
	assert.NoError(t, result(t, peerWaits), "the peer's waiter gets the name the closed backend held")
	assert.True(t, isClosedChan(mine.Lost()), "the closed backend's hold is lost")
	assert.False(t, isClosedChan(theirs.Lost()), "the peer's hold is untouched")
	held, err := handle(p, "theirs").Locked(ctx)
	require.NoError(t, err)
	assert.True(t, held)
	require.NoError(t, theirs.Release(ctx))
	assert.Equal(t, 1, p.Len(), "only the name the peer's waiter took is left")
}

// result waits for an Acquire's result, for a bounded time.
func result(t *testing.T, got <-chan error) error {
	t.Helper()
	select {
	case err := <-got:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("no result from the waiter")
		return nil
	}
}

func waitClosed(t *testing.T, c <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: not closed in time", what)
	}
}

func isClosedChan(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
