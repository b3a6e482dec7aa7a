package local_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/driver"
	"github.com/batonlock/baton/lock/local"
)

func quietBackend(t *testing.T) *local.Backend {
	opts := driver.DefaultOptions()
	opts.Logger = slog.New(slog.DiscardHandler)
	b := local.New(opts)
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// TestLostEventDescribesTheLostHold: a timed hold expires while another Acquire on the
// same handle waits; the expiry hands the name to that waiter at once. The Lost event (and
// the "hold lost" log line) must describe the hold that was lost: it read the handle after
// the hand-off, and reported the new hold's fence, hold time and a nil cause.
func TestLostEventDescribesTheLostHold(t *testing.T) {
	ctx := context.Background()
	b := quietBackend(t)
	var mu sync.Mutex
	var events []lock.Event
	waiting := make(chan struct{}, 4)
	lostCh := make(chan struct{}, 4)
	l, err := b.NewLock("ev", lock.WithTimeout(20*time.Millisecond),
		lock.WithObserver(lock.ObserverFunc(func(e lock.Event) {
			mu.Lock()
			events = append(events, e)
			mu.Unlock()
			switch e.Kind {
			case lock.Waiting:
				waiting <- struct{}{}
			case lock.Lost:
				lostCh <- struct{}{}
			}
		})))
	require.NoError(t, err)
	require.NoError(t, l.Acquire(ctx))
	first := l.Fence()
	got := make(chan error, 1)
	go func() { got <- l.Acquire(ctx) }()
	<-waiting
	<-lostCh
	require.NoError(t, <-got)
	mu.Lock()
	var lostEv lock.Event
	for _, e := range events {
		if e.Kind == lock.Lost {
			lostEv = e
			break
		}
	}
	mu.Unlock()
	assert.Equal(t, first, lostEv.Fence, "the Lost event names the hold that was lost")
	assert.Error(t, lostEv.Err, "the Lost event says why (the timeout ended)")
	<-lostCh // the second hold expires as well; drain before Close
}
