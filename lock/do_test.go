package lock_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
)

// plainLocker is a Locker without the LossNotifier hook, so Do must watch Lost() itself.
type plainLocker struct {
	mu       sync.Mutex
	held     bool
	lost     chan struct{}
	released int
}

func (p *plainLocker) Name() string { return "plain" }
func (p *plainLocker) Acquire(context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.held, p.lost = true, make(chan struct{})
	return nil
}
func (p *plainLocker) Release(context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.held {
		return lock.ErrNotHeld
	}
	p.held = false
	p.released++
	return nil
}
func (p *plainLocker) Locked(context.Context) (bool, error)        { return p.held, nil }
func (p *plainLocker) Extend(context.Context, time.Duration) error { return nil }
func (p *plainLocker) Fence() uint64                               { return 1 }
func (p *plainLocker) Lost() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lost
}
func (p *plainLocker) lose() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.held = false
	close(p.lost)
}

func TestDoWithoutLossHook(t *testing.T) {
	p := &plainLocker{}
	err := lock.Do(context.Background(), p, func(ctx context.Context) error {
		p.lose()
		<-ctx.Done()
		assert.ErrorIs(t, context.Cause(ctx), lock.ErrLost)
		return nil
	})
	assert.ErrorIs(t, err, lock.ErrLost)
	assert.NotErrorIs(t, err, lock.ErrNotHeld, "the expected release failure is not reported twice")

	boom := errors.New("boom")
	err = lock.Do(context.Background(), p, func(context.Context) error { return boom })
	assert.ErrorIs(t, err, boom)
	assert.NotErrorIs(t, err, lock.ErrLost)
	assert.Equal(t, 1, p.released)
}

// failingRelease reports a release error, which Do must join to fn's.
type failingRelease struct{ plainLocker }

var errRelease = errors.New("release failed")

func (f *failingRelease) Release(context.Context) error { return errRelease }

func TestDoJoinsReleaseError(t *testing.T) {
	boom := errors.New("boom")
	err := lock.Do(context.Background(), &failingRelease{}, func(context.Context) error { return boom })
	assert.ErrorIs(t, err, boom)
	assert.ErrorIs(t, err, errRelease)
}

func TestDoNilIsInvalid(t *testing.T) {
	fn := func(context.Context) error { return nil }
	var nilPlain *plainLocker
	for name, l := range map[string]lock.Locker{"nil interface": nil, "nil pointer": nilPlain} {
		err := lock.Do(context.Background(), l, fn)
		assert.ErrorIs(t, err, lock.ErrInvalid, name)
		assert.ErrorContains(t, err, "nil Locker", name)
	}
	p := &plainLocker{}
	err := lock.Do(context.Background(), p, nil)
	assert.ErrorIs(t, err, lock.ErrInvalid)
	assert.ErrorContains(t, err, "nil fn")
	assert.Zero(t, p.released, "a nil fn takes no lock")
}

// TestDoLostSaysErrLostOnce: whatever fn makes of the ctx Do gave it, the error names the
// loss once, first, and still matches fn's error and ErrLost.
func TestDoLostSaysErrLostOnce(t *testing.T) {
	wrapped := errors.New("write order 42")
	cases := []struct {
		name string
		ret  func(ctx context.Context) error
		msg  string
		is   error
	}{
		{"context.Cause", context.Cause, "lock: hold lost", lock.ErrLost},
		{"ctx.Err", func(ctx context.Context) error { return ctx.Err() }, "lock: hold lost: context canceled", context.Canceled},
		{"wrapped cause", func(ctx context.Context) error {
			return fmt.Errorf("%w: %w", wrapped, context.Cause(ctx))
		}, "lock: hold lost: write order 42", wrapped},
		{"nil", func(context.Context) error { return nil }, "lock: hold lost", lock.ErrLost},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := &plainLocker{}
			err := lock.Do(context.Background(), p, func(ctx context.Context) error {
				p.lose()
				<-ctx.Done()
				return c.ret(ctx)
			})
			require.Error(t, err)
			assert.Equal(t, c.msg, err.Error())
			assert.ErrorIs(t, err, lock.ErrLost)
			assert.ErrorIs(t, err, c.is)
		})
	}
}

// countingRelease counts its Release calls.
type countingRelease struct {
	plainLocker
	releases int
}

func (f *countingRelease) Release(context.Context) error { f.releases++; return errRelease }

// TestDoLostDoesNotRelease: once the hold is lost, Do does not call Release: the handle may
// hold again by then, for another goroutine's Acquire, and Release would free that hold
// (the conformance suite's DoOnSharedHandle). Do reports the loss alone.
func TestDoLostDoesNotRelease(t *testing.T) {
	f := &countingRelease{}
	err := lock.Do(context.Background(), f, func(ctx context.Context) error {
		f.lose()
		<-ctx.Done()
		return ctx.Err()
	})
	assert.Equal(t, "lock: hold lost: context canceled", err.Error())
	assert.ErrorIs(t, err, lock.ErrLost)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Zero(t, f.releases, "Do released a hold that was lost")
}
