package redis_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redistest"
	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/locktest"
)

// TestConformanceSentinel runs the suite through a redis+sentinel:// URL: a master, a
// replica and a Sentinel started by the test.
func TestConformanceSentinel(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a master, a replica and a sentinel")
	}
	s := redistest.StartSentinel(t)
	open := func(t *testing.T) lock.Backend {
		b, err := lock.Open(context.Background(), s.URL()+"&prefix=sentinel:")
		require.NoError(t, err)
		return b
	}
	locktest.Run(t, open)
	t.Run("Primitives", func(t *testing.T) {
		locktest.RunPrimitives(t, locktest.Harness{Open: open, Peers: func(t *testing.T, _ lock.Backend, n int) []lock.Backend {
			var bs []lock.Backend
			for range n {
				bs = append(bs, open(t))
			}
			return bs
		}})
	})
	t.Run("Inspect", func(t *testing.T) {
		b := open(t)
		defer b.Close()
		ctx := testCtx(t)
		l := newLock(t, b, "sentinel-inspect", lock.WithOwner("pod-s"))
		require.NoError(t, l.Acquire(ctx))
		info, err := lock.Inspect(ctx, b, "sentinel-inspect")
		require.NoError(t, err)
		require.Len(t, info.Holds, 1)
		assert.Equal(t, "pod-s", info.Holds[0].Owner)
		assert.Equal(t, l.Fence(), info.Holds[0].Fence)
		assert.Positive(t, info.Holds[0].TTL)
		require.NoError(t, l.Release(ctx))
	})
}

// TestSentinelFailover: after a forced failover, no hold is silently owned twice. Every
// holder either still holds a confirmed hold (Extend works, nobody else can take it, Release
// works) or has been told it is lost; and when somebody else could take a name, its earlier
// holder has been told.
func TestSentinelFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a master, a replica and a sentinel")
	}
	s := redistest.StartSentinel(t)
	ctx := testCtx(t)
	open := func(q string) lock.Backend {
		b, err := lock.Open(ctx, s.URL()+"&prefix=fo:"+q)
		require.NoError(t, err)
		t.Cleanup(func() { _ = b.Close() })
		return b
	}
	holders, others := open("&lease=1500ms"), open("")

	const names = 6
	var held []lock.Locker
	for i := 0; i < names; i++ {
		var opts []lock.Option
		if i%2 == 1 {
			opts = append(opts, lock.WithTimeout(20*time.Second))
		}
		l := newLock(t, holders, fmt.Sprintf("n%d", i), opts...)
		require.NoError(t, l.Acquire(ctx))
		held = append(held, l)
	}
	s.Failover()
	time.Sleep(2 * time.Second) // more than a renewal: leased holds have met the new master

	kept, lost := 0, 0
	for _, l := range held {
		other := newLock(t, others, l.Name(), lock.WithBlocking(lock.NoWait))
		err := other.Acquire(ctx)
		if err == nil {
			// The key did not survive the failover: its holder must know by now (a leased
			// hold at its next renewal) or learn before its timeout ends.
			select {
			case <-l.Lost():
			case <-time.After(eventually):
				t.Errorf("%s: taken by another owner while its holder was not told", l.Name())
			}
			lost++
			require.NoError(t, other.Release(ctx))
			continue
		}
		require.ErrorIs(t, err, lock.ErrNotAcquired, l.Name())
		select {
		case <-l.Lost():
			lost++ // told, and nobody took it: the key expires on its own
			continue
		default:
		}
		if err := l.Extend(ctx, 5*time.Second); err != nil {
			// A hold that cannot be confirmed must be reported lost.
			require.True(t, errors.Is(err, lock.ErrNotHeld) || isClosed(l.Lost()), "%s: %v", l.Name(), err)
			lost++
			continue
		}
		kept++
		require.NoError(t, l.Release(ctx), l.Name())
	}
	t.Logf("after the failover: %d holds kept and confirmed, %d reported lost", kept, lost)
	assert.Equal(t, names, kept+lost)

	// The new master serves new holds.
	l := newLock(t, others, "after")
	require.NoError(t, l.Acquire(ctx))
	require.NoError(t, l.Release(ctx))
}

// TestNewWithFailoverClient: New takes the client go-redis makes for Sentinel.
func TestNewWithFailoverClient(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a master, a replica and a sentinel")
	}
	s := redistest.StartSentinel(t)
	c := goredis.NewFailoverClient(&goredis.FailoverOptions{
		MasterName:            redistest.MasterName,
		SentinelAddrs:         []string{s.Sentinel.Addr()},
		ContextTimeoutEnabled: true,
	})
	t.Cleanup(func() { _ = c.Close() })
	b := newBackend(t, c)
	ctx := testCtx(t)
	l := newLock(t, b, "x")
	require.NoError(t, l.Acquire(ctx))
	require.NoError(t, l.Release(ctx))
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
