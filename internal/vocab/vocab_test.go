package vocab_test

import (
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/batonlock/baton/internal/vocab"
	"github.com/batonlock/baton/lock"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestNotAcquired: an ended blocking window says how long it waited, or that it tried
// once, and whether a server error may be why; errors.Is finds the sentinel and that error.
func TestNotAcquired(t *testing.T) {
	down := errors.New("connection refused")
	for _, c := range []struct {
		blocking time.Duration
		last     error
		want     string
	}{
		{100 * time.Millisecond, nil, `lock "x": acquire: still held after 100ms: lock: not acquired`},
		{lock.NoWait, nil, `lock "x": acquire: held elsewhere: lock: not acquired`},
		{2 * time.Second, down, `lock "x": acquire: gave up after 2s: lock: not acquired (last error: connection refused)`},
		{lock.NoWait, down, `lock "x": acquire: tried once: lock: not acquired (last error: connection refused)`},
	} {
		err := vocab.NotAcquired("x", c.blocking, c.last)
		assert.EqualError(t, err, c.want)
		assert.ErrorIs(t, err, lock.ErrNotAcquired, c.want)
		if c.last != nil {
			assert.ErrorIs(t, err, c.last, c.want)
		}
	}
}

// TestCauses: the causes of a lost hold, and the wrapping of an operation's error.
func TestCauses(t *testing.T) {
	down := errors.New("connection refused")
	assert.EqualError(t, vocab.TimeoutEnded(150*time.Millisecond), "the timeout of 150ms ended")
	assert.Equal(t, vocab.ErrNotRenewed, vocab.NotRenewed(nil))
	err := vocab.NotRenewed(down)
	assert.EqualError(t, err, "the lease was not renewed in time: connection refused")
	assert.ErrorIs(t, err, vocab.ErrNotRenewed)
	assert.ErrorIs(t, err, down)
	err = vocab.Err("x", "release", lock.ErrNotHeld)
	assert.EqualError(t, err, `lock "x": release: lock: not held`)
	assert.ErrorIs(t, err, lock.ErrNotHeld)
	err = vocab.LostErr("x", "release", vocab.TimeoutEnded(time.Second))
	assert.EqualError(t, err, `lock "x": release: lock: not held (lock: hold lost: the timeout of 1s ended)`)
	assert.ErrorIs(t, err, lock.ErrNotHeld)
	assert.ErrorIs(t, err, lock.ErrLost)
	err = vocab.LostErr("x", "extend", lock.ErrClosed)
	assert.ErrorIs(t, err, lock.ErrClosed, "a hold lost to Close still says the backend is closed")
	err = vocab.PermitsDisagree("x", 3, 2)
	assert.ErrorIs(t, err, lock.ErrInvalid)
	assert.Contains(t, err.Error(), "WithPermits(3) disagrees with the 2 permits")
	err = vocab.BadTTL("x", -time.Second)
	assert.EqualError(t, err, `lock: invalid argument: lock "x": extend by -1s: the ttl must be at least lock.MinTimeout (1ms): Redis expires keys in whole milliseconds`)
	assert.ErrorIs(t, err, lock.ErrInvalid)
	assert.ErrorIs(t, vocab.BadTTL("x", lock.MinTimeout-1), lock.ErrInvalid)
	assert.NoError(t, vocab.BadTTL("x", lock.MinTimeout))
}

// TestUnknownKeys: one key or several, sorted and quoted, the URL's password masked.
func TestUnknownKeys(t *testing.T) {
	u, err := url.Parse("redis://:secret@h:1/0?b=1&a=2&password=secret")
	require.NoError(t, err)
	err = vocab.UnknownKeys(u, []string{"b", "a"}, "lease", "prefix")
	assert.ErrorIs(t, err, lock.ErrInvalid)
	assert.EqualError(t, err, `lock: invalid argument: backend URL "redis://:xxxxx@h:1/0?b=1&a=2&password=xxxxx": unknown query keys "a", "b" (known: lease, prefix)`)
	err = vocab.UnknownKeys(u, []string{"b"}, "lease")
	assert.EqualError(t, err, `lock: invalid argument: backend URL "redis://:xxxxx@h:1/0?b=1&a=2&password=xxxxx": unknown query key "b" (known: lease)`)
}
