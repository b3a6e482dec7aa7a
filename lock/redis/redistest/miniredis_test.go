package redistest_test

import (
	"context"
	"net"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
	_ "github.com/batonlock/baton/lock/local"
	_ "github.com/batonlock/baton/lock/redis"
	"github.com/batonlock/baton/lock/redis/redistest"
)

// window is the rival's blocking window: far longer than the holder's timeout, so only a
// key that never expires makes it run out. No test asserts how fast anything is.
const (
	timeout = 150 * time.Millisecond
	window  = 5 * time.Second
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestTTLFollowsTheClock: a key's TTL runs down with real time from the moment the SET was
// sent, never faster (the holder's deadline is computed from that moment) and not frozen
// (a plain miniredis keeps it at its first value until FastForward).
func TestTTLFollowsTheClock(t *testing.T) {
	m, _ := redistest.StartMiniredis(t)
	c := goredis.NewClient(&goredis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = c.Close() })
	ctx := testCtx(t)

	const ttl = time.Minute
	sent := time.Now()
	require.NoError(t, c.Set(ctx, "k", "v", ttl).Err())
	set := time.Now()

	before := time.Now()
	left := m.TTL("k")
	after := time.Now()
	assert.False(t, after.Add(left).Before(sent.Add(ttl)), "the key expires before the time its writer computed: %v left", left)
	assert.False(t, before.Add(left).After(set.Add(ttl)), "the TTL did not run down with the clock: %v left", left)
}

func TestClosedWhenTheTestEnds(t *testing.T) {
	var addr, url string
	t.Run("owner", func(t *testing.T) {
		m, u := redistest.StartMiniredis(t)
		addr, url = m.Addr(), u
	})
	assert.Equal(t, "redis://"+addr+"/0", url)
	conn, err := net.Dial("tcp", addr)
	if err == nil {
		_ = conn.Close()
	}
	assert.Error(t, err, "the miniredis still listens after its test ended")
}

// TestTimeoutHoldExpiresAndAnotherHandleTakesIt is what a service test meets: a
// WithTimeout hold that is never released ends on its own, and a rival handle, on another
// backend opened from the same URL, takes the lock within its blocking window, after the
// holder was told. The same test passes on local://.
func TestTimeoutHoldExpiresAndAnotherHandleTakesIt(t *testing.T) {
	targets := map[string]func(t *testing.T) (holder, rival lock.Backend){
		"miniredis": func(t *testing.T) (lock.Backend, lock.Backend) {
			_, url := redistest.StartMiniredis(t)
			return open(t, url), open(t, url) // two replicas of a service
		},
		"local": func(t *testing.T) (lock.Backend, lock.Backend) {
			b := open(t, "local://") // one process's state: the rival is a second handle on it
			return b, b
		},
	}
	for name, backends := range targets {
		t.Run(name, func(t *testing.T) {
			ctx := testCtx(t)
			hb, rb := backends(t)
			holder := newLock(t, hb, "invoice:42", lock.WithTimeout(timeout))
			rival := newLock(t, rb, "invoice:42", lock.WithBlocking(window))

			require.NoError(t, holder.Acquire(ctx))
			require.NoError(t, rival.Acquire(ctx), "the rival's Acquire within %v, after a %v timeout", window, timeout)
			// Channel order, not the observers': Lost() must be closed by the time anyone
			// else holds the name.
			assert.True(t, isClosed(holder.Lost()), "the holder's Lost() was still open when the rival got the lock")
			assert.Greater(t, rival.Fence(), holder.Fence())

			assert.ErrorIs(t, holder.Release(ctx), lock.ErrNotHeld)
			require.NoError(t, rival.Release(ctx))
		})
	}
}

func open(t *testing.T, url string) lock.Backend {
	b, err := lock.Open(testCtx(t), url)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func newLock(t *testing.T, b lock.Backend, name string, opts ...lock.Option) lock.Locker {
	l, err := b.NewLock(name, opts...)
	require.NoError(t, err)
	return l
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
