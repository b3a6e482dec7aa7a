package lease_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/lease"
	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/driver"
)

// fake is a backend with no server: a hold is whatever contend makes, and renewals answer
// renewed.
type fake struct {
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	wg     sync.WaitGroup

	mu      sync.Mutex
	holds   int
	renewed bool
}

func newFake(t *testing.T, opts driver.Options) (*fake, *lease.Handle[int]) {
	opts.Logger = slog.New(slog.DiscardHandler) // lost holds are logged, and lost on purpose here
	f := &fake{done: make(chan struct{}), renewed: true}
	f.ctx, f.cancel = context.WithCancel(context.Background())
	cfg := lease.Default()
	cfg.Lease = time.Second
	t.Cleanup(func() { f.close() })
	h := &lease.Handle[int]{Name: "n", Kind: "fake", Opts: opts, Sem: make(chan struct{}, 1), B: f, Cfg: &cfg,
		ErrTaken: errors.New("taken"), ErrNotRenewed: errors.New("not renewed"),
		Renew: func(context.Context, string, time.Duration) (bool, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			return f.renewed, nil
		}}
	return f, h
}

func (f *fake) close() {
	select {
	case <-f.done:
	default:
		close(f.done)
		f.cancel()
	}
	f.wg.Wait()
}

func (f *fake) Enter() bool {
	select {
	case <-f.done:
		return false
	default:
		f.wg.Add(1)
		return true
	}
}
func (f *fake) Leave()                        { f.wg.Done() }
func (f *fake) Context() context.Context      { return f.ctx }
func (f *fake) Done() <-chan struct{}         { return f.done }
func (f *fake) AddHold(*lease.Hold[int]) bool { f.mu.Lock(); f.holds++; f.mu.Unlock(); return true }
func (f *fake) DropHold(*lease.Hold[int])     { f.mu.Lock(); f.holds--; f.mu.Unlock() }
func (f *fake) WakeHead(string)               {}

func take(h *lease.Handle[int]) func(a *lease.Attempt[int]) (*lease.Hold[int], error) {
	return func(*lease.Attempt[int]) (*lease.Hold[int], error) {
		return h.NewHold("token", 7, h.TTL(), time.Now(), h.TTL(), 1)
	}
}

// An Acquire that cannot take the handle (another Acquire or hold has it) fails without
// freeing the handle it never took: NoWait at once, a window when it ends, ctx when it ends.
func TestAttemptFreesOnlyWhatItTook(t *testing.T) {
	ctx := context.Background()
	for _, o := range []driver.Options{{Blocking: lock.NoWait}, {Blocking: 30 * time.Millisecond}, {Blocking: lock.Forever}} {
		_, h := newFake(t, o)
		h.Sem <- struct{}{} // taken by another Acquire
		actx, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
		err := h.Acquire(actx, func(*lease.Attempt[int]) (*lease.Hold[int], error) {
			t.Fatal("contend ran without the handle")
			return nil, nil
		})
		cancel()
		require.Error(t, err, "blocking %v", o.Blocking)
		if o.Blocking == lock.Forever {
			assert.ErrorIs(t, err, context.DeadlineExceeded)
		} else {
			assert.ErrorIs(t, err, lock.ErrNotAcquired)
		}
		assert.Len(t, h.Sem, 1, "the failed Acquire freed a handle it did not take")
	}
}

// A failed contend frees the handle; a hold keeps it until Release; NoWait does not wait
// for its turn among the process's waiters.
func TestAttemptHandle(t *testing.T) {
	ctx := context.Background()
	_, h := newFake(t, driver.Options{Blocking: lock.NoWait})
	boom := errors.New("boom")
	require.ErrorIs(t, h.Acquire(ctx, func(*lease.Attempt[int]) (*lease.Hold[int], error) { return nil, boom }), boom)
	assert.Empty(t, h.Sem, "a failed contend keeps the handle")

	turn := make(chan struct{})
	err := h.Acquire(ctx, func(a *lease.Attempt[int]) (*lease.Hold[int], error) { return nil, a.WaitTurn(turn) })
	require.ErrorIs(t, err, lock.ErrNotAcquired, "NoWait waited for its turn")

	require.NoError(t, h.Acquire(ctx, take(h)))
	assert.Len(t, h.Sem, 1)
	assert.Equal(t, uint64(7), h.Fence())
	assert.Equal(t, 1, h.Cur.Data)
	h2, expired, err := h.BeginRelease()
	require.NoError(t, err)
	assert.False(t, expired)
	require.NoError(t, h.EndRelease(h2, expired, true, nil))
	assert.Empty(t, h.Sem)
	_, _, err = h.BeginRelease()
	assert.ErrorIs(t, err, lock.ErrNotHeld)
}

// A hold whose renewal finds the key gone is lost: Lost closes, AfterLost hooks run, the
// handle is freed; one that is renewed outlives its first deadline.
func TestHoldRenewedOrLost(t *testing.T) {
	ctx := context.Background()
	f, h := newFake(t, driver.Options{Blocking: lock.NoWait})
	require.NoError(t, h.Acquire(ctx, take(h)))
	first := h.Cur.Deadline
	require.Eventually(t, func() bool {
		h.Mu.Lock()
		defer h.Mu.Unlock()
		return h.Cur.Deadline.After(first)
	}, 5*time.Second, time.Millisecond, "the lease was never renewed")

	ran := make(chan struct{})
	h.AfterLost(func() { close(ran) })
	f.mu.Lock()
	f.renewed = false
	f.mu.Unlock()
	select {
	case <-h.Lost():
	case <-time.After(5 * time.Second):
		t.Fatal("a hold whose key is gone was not lost")
	}
	<-ran
	// Lost closes first; the handle and the backend's record follow at once.
	require.Eventually(t, func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return len(h.Sem) == 0 && f.holds == 0
	}, 5*time.Second, time.Millisecond, "a lost hold keeps the handle or its record")
	_, _, err := h.BeginRelease()
	assert.ErrorIs(t, err, lock.ErrNotHeld)
}

// A lease whose renewal never answers (its request ignores ctx: a stalled link) is lost
// at its deadline, by the expiry timer that the renewal arms when it starts.
func TestHoldLostWhileRenewalHangs(t *testing.T) {
	ctx := context.Background()
	_, h := newFake(t, driver.Options{Blocking: lock.NoWait})
	stall := make(chan struct{})
	t.Cleanup(func() { close(stall) }) // runs before the fake's close, which waits for the renewal
	started := make(chan struct{}, 1)
	h.Renew = func(context.Context, string, time.Duration) (bool, error) {
		select {
		case started <- struct{}{}:
		default:
		}
		<-stall
		return false, errors.New("stalled")
	}
	require.NoError(t, h.Acquire(ctx, take(h)))
	h.Mu.Lock()
	deadline := h.Cur.Deadline
	h.Mu.Unlock()
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("the lease was never renewed")
	}
	select {
	case <-h.Lost():
	case <-time.After(5 * time.Second):
		t.Fatal("a hold whose renewal hangs was not lost at its deadline")
	}
	assert.False(t, time.Now().Before(deadline), "lost before its deadline")
}
