package locktest

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
)

func (s *suite) invalidInput(t *testing.T) {
	b := s.backend(t)
	names := map[string]string{
		"empty":        "",
		"too long":     strings.Repeat("x", lock.MaxNameLen+1),
		"NUL":          "a\x00b",
		"control":      "a\nb",
		"invalid utf8": "a\xffb",
		"open brace":   "order{1",
		"close brace":  "order}1",
	}
	for what, n := range names {
		_, err := b.NewLock(n)
		assert.ErrorIs(t, err, lock.ErrInvalid, "name %s", what)
	}

	opts := []struct {
		opt  lock.Option
		says string
	}{
		{lock.WithTimeout(-time.Second), "-1s"},
		{lock.WithBlocking(-2 * time.Second), "-2s"},
		{lock.WithBlocking(-time.Nanosecond), "-1ns"},
		{lock.WithTimeout(time.Nanosecond), "lock.MinTimeout"}, // below Redis's expiry resolution
		{lock.WithTimeout(500 * time.Microsecond), "500µs"},
		{nil, "nil Option"},
	}
	for _, o := range opts {
		_, err := b.NewLock(name(t), o.opt)
		if assert.ErrorIs(t, err, lock.ErrInvalid, o.says) {
			assert.Contains(t, err.Error(), o.says, "the error names the bad value")
		}
	}

	for _, o := range []lock.Option{lock.WithBlocking(lock.NoWait), lock.WithBlocking(lock.Forever),
		lock.WithBlocking(time.Second), lock.WithTimeout(0), lock.WithTimeout(lock.MinTimeout), lock.WithTimeout(time.Hour), lock.WithLogger(nil)} {
		_, err := b.NewLock(name(t), o)
		assert.NoError(t, err)
	}

	l := acquired(t, b, name(t))
	for _, ttl := range []time.Duration{0, -time.Second, lock.MinTimeout / 2} {
		assert.ErrorIs(t, l.Extend(ctx(t), ttl), lock.ErrInvalid, "Extend(%v)", ttl)
	}
	require.NoError(t, l.Release(ctx(t)))
}

func (s *suite) basics(t *testing.T) {
	b := s.backend(t)
	n := name(t)
	l := newLock(t, b, n)
	other := newLock(t, b, n)
	assert.Equal(t, n, l.Name())
	assert.Zero(t, l.Fence(), "no fence before the first hold")
	assert.Nil(t, l.Lost(), "no Lost channel before the first hold")

	held, err := other.Locked(ctx(t))
	require.NoError(t, err)
	assert.False(t, held)

	require.NoError(t, l.Acquire(ctx(t)))
	assert.NotZero(t, l.Fence())
	lost := l.Lost()
	require.NotNil(t, lost)
	assert.False(t, isClosed(lost))
	for _, h := range []lock.Locker{l, other} {
		held, err = h.Locked(ctx(t))
		require.NoError(t, err)
		assert.True(t, held, "Locked sees the hold through any handle")
	}

	require.NoError(t, l.Release(ctx(t)))
	held, err = other.Locked(ctx(t))
	require.NoError(t, err)
	assert.False(t, held)
	stillOpen(t, lost, quiet, "a released hold's Lost channel")
	assert.Equal(t, lost, l.Lost(), "Lost still names the released hold")
}

func (s *suite) releaseNotHeld(t *testing.T) {
	b := s.backend(t)
	n := name(t)
	never := newLock(t, b, n)
	assert.ErrorIs(t, never.Release(ctx(t)), lock.ErrNotHeld, "Release without Acquire")
	assert.ErrorIs(t, never.Extend(ctx(t), time.Second), lock.ErrNotHeld, "Extend without Acquire")

	l := acquired(t, b, n)
	assert.ErrorIs(t, never.Release(ctx(t)), lock.ErrNotHeld, "another handle cannot release")
	require.NoError(t, l.Release(ctx(t)))
	assert.ErrorIs(t, l.Release(ctx(t)), lock.ErrNotHeld, "double Release")
	assert.ErrorIs(t, l.Extend(ctx(t), time.Second), lock.ErrNotHeld, "Extend after Release")
}

func (s *suite) fencesGrow(t *testing.T) {
	b := s.backend(t)
	n := name(t)
	handles := []lock.Locker{newLock(t, b, n), newLock(t, b, n), newLock(t, b, n)}
	var last uint64
	for i := 0; i < 12; i++ {
		l := handles[i%len(handles)]
		require.NoError(t, l.Acquire(ctx(t)))
		f := l.Fence()
		assert.Greater(t, f, last, "acquisition %d", i)
		last = f
		require.NoError(t, l.Release(ctx(t)))
		assert.Equal(t, f, l.Fence(), "Fence keeps the last hold's token after Release")
	}
}

// handleIsAMutex: a second Acquire on a handle that holds the lock waits, as sync.Mutex does.
func (s *suite) handleIsAMutex(t *testing.T) {
	b := s.backend(t)
	o, w := watchWaits()
	l := acquired(t, b, name(t), o)
	first := l.Fence()
	second := acquireAsync(ctx(t), l)
	w.started(t, second, "second Acquire on a held handle")
	pending(t, second, quiet, "second Acquire on a held handle")
	require.NoError(t, l.Release(ctx(t)))
	require.NoError(t, result(t, second, "second Acquire"))
	assert.Greater(t, l.Fence(), first)
	require.NoError(t, l.Release(ctx(t)))
}
