package lock_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/driver"
	"github.com/batonlock/baton/lock/local"
)

// gatedLock is a Locker whose Acquire waits for ctx, so a test sees the ctx All gives each
// lock; it reports its blocking window as a local lock does.
type gatedLock struct {
	lock.Locker // the methods the test does not use
	name        string
	window      time.Duration
	free        bool // Acquire returns at once
	ctxs        chan context.Context
	released    int
}

func (g *gatedLock) Name() string                        { return g.name }
func (g *gatedLock) Blocking() time.Duration             { return g.window }
func (g *gatedLock) AfterLost(func()) (stop func() bool) { return func() bool { return false } }
func (g *gatedLock) Release(context.Context) error       { g.released++; return nil }
func (g *gatedLock) Lost() <-chan struct{}               { return nil }
func (g *gatedLock) Acquire(ctx context.Context) error {
	g.ctxs <- ctx
	if g.free {
		return nil
	}
	<-ctx.Done()
	return ctx.Err()
}

// TestAllWindowBoundsTheWholeAcquire: the shortest blocking window of the locks is one
// deadline for every lock's turn, not a fresh window each; when it ends the error is
// ErrNotAcquired (not the ctx's), and the locks taken are released.
func TestAllWindowBoundsTheWholeAcquire(t *testing.T) {
	a := &gatedLock{name: "a", window: time.Hour, free: true, ctxs: make(chan context.Context, 1)}
	b := &gatedLock{name: "b", window: 20 * time.Millisecond, ctxs: make(chan context.Context, 1)}
	err := lock.All(b, a).Acquire(context.Background())
	require.ErrorIs(t, err, lock.ErrNotAcquired)
	assert.NotErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), `"b" still held after 20ms`)
	da, okA := (<-a.ctxs).Deadline()
	db, okB := (<-b.ctxs).Deadline()
	require.True(t, okA && okB, "every lock's turn is bounded")
	assert.Equal(t, da, db, "one deadline for the whole Acquire")
	assert.Equal(t, 1, a.released, "the lock taken first was released")
	assert.Zero(t, b.released, "the lock not taken was not released")
}

// TestAllCallerDeadlineIsNotTheWindow: a ctx that ends first is the ctx's error.
func TestAllCallerDeadlineIsNotTheWindow(t *testing.T) {
	a := &gatedLock{name: "a", window: time.Hour, ctxs: make(chan context.Context, 1)}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	err := lock.All(a).Acquire(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotErrorIs(t, err, lock.ErrNotAcquired)
}

// TestAllWithoutLossHookIsInvalid: a Locker that cannot report a loss as it happens would
// leave All's Lost open after a loss, so All refuses it.
func TestAllWithoutLossHookIsInvalid(t *testing.T) {
	err := lock.All(hooklessLock{}).Acquire(context.Background())
	require.ErrorIs(t, err, lock.ErrInvalid)
	assert.Contains(t, err.Error(), "AfterLost")
}

type hooklessLock struct{ lock.Locker }

func (hooklessLock) Name() string { return "x" }

// TestAllLostWhileWaiting: a lock lost while All waits for the next one closes the
// All's Lost once All holds, and Release joins the lost lock's error.
func TestAllLostWhileWaiting(t *testing.T) {
	ctx := context.Background()
	b := local.New(driver.DefaultOptions())
	defer b.Close()
	expired := make(chan struct{})
	onLost := lock.ObserverFunc(func(e lock.Event) {
		if e.Kind == lock.Lost {
			close(expired)
		}
	})
	short, err := b.NewLock("a", lock.WithTimeout(time.Millisecond), lock.WithObserver(onLost))
	require.NoError(t, err)
	other, err := b.NewLock("b")
	require.NoError(t, err)
	held, err := b.NewLock("b")
	require.NoError(t, err)
	require.NoError(t, held.Acquire(ctx))
	all := lock.All(short, other)
	got := make(chan error, 1)
	go func() { got <- all.Acquire(ctx) }()
	<-expired // a's hold expires while All waits for b
	require.NoError(t, held.Release(ctx))
	require.NoError(t, <-got)
	select {
	case <-all.Lost():
	default:
		t.Fatal("the All's Lost is open though one of its holds was lost")
	}
	err = all.Release(ctx)
	assert.ErrorIs(t, err, lock.ErrNotHeld)
	assert.ErrorIs(t, err, lock.ErrLost)
}

// TestInspectUnsupported: a Backend that is no Inspector says so with errors.ErrUnsupported.
func TestInspectUnsupported(t *testing.T) {
	_, err := lock.Inspect(context.Background(), plainBackend{}, "x")
	assert.True(t, errors.Is(err, errors.ErrUnsupported), "%v", err)
	_, err = lock.Inspect(context.Background(), nil, "x")
	assert.ErrorIs(t, err, lock.ErrInvalid)
}

type plainBackend struct{ lock.Backend }
