package lock_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

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
