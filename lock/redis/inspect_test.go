package redis_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/driver"
	redislock "github.com/batonlock/baton/lock/redis"
)

// TestInspect: Inspect reports the holder's owner label, fence and the TTL its key has left,
// and the waiters the backend knows of: its own, and other processes' queued on the server
// (counted once, also when its own head waiter is queued there too); nothing once unused.
func TestInspect(t *testing.T) {
	servers(t, func(t *testing.T, addr string) {
		ctx := testCtx(t)
		opt := redislock.WithPrefix("g:")
		c := newClient(t, addr)
		a, b, other := newBackend(t, c, opt), newBackend(t, newClient(t, addr), opt), newBackend(t, newClient(t, addr), opt)
		info, err := lock.Inspect(ctx, other, "insp")
		require.NoError(t, err)
		assert.Equal(t, lock.Info{Name: "insp"}, info)

		holder := newLock(t, a, "insp", lock.WithOwner("pod-a"), lock.WithTimeout(eventually))
		require.NoError(t, holder.Acquire(ctx))
		remoteLock := newLock(t, b, "insp")
		remote := waitFor(ctx, remoteLock)
		queued(t, c, "g:{insp}", 1)
		parked(t, b, "insp")
		localLock := newLock(t, a, "insp")
		local := waitFor(ctx, localLock)
		require.Eventually(t, func() bool { return a.Waiting("insp") == 1 }, eventually, time.Millisecond)

		want := lock.HoldInfo{Owner: "pod-a", Fence: holder.Fence()}
		for who, tc := range map[string]struct {
			b       lock.Backend
			waiters int
		}{"another process": {other, 1}, "the holder's": {a, 2}, "the waiter's": {b, 1}} {
			info, err := lock.Inspect(ctx, tc.b, "insp")
			require.NoError(t, err, who)
			require.Len(t, info.Holds, 1, who)
			got := info.Holds[0]
			assert.Positive(t, got.TTL, who)
			assert.LessOrEqual(t, got.TTL, eventually, who)
			got.TTL = 0
			assert.Equal(t, want, got, who)
			assert.Equal(t, tc.waiters, info.Waiters, who)
		}

		require.NoError(t, holder.Release(ctx))
		// Either waiter may come first: a Release passes the lock to a waiter of its own
		// process when one is asleep.
		for range 2 {
			select {
			case err := <-remote:
				require.NoError(t, err)
				require.NoError(t, remoteLock.Release(ctx))
			case err := <-local:
				require.NoError(t, err)
				require.NoError(t, localLock.Release(ctx))
			}
		}
		info, err = lock.Inspect(ctx, other, "insp")
		require.NoError(t, err)
		assert.Equal(t, lock.Info{Name: "insp"}, info, "nothing once unused")
	})
}

// TestInspectPassedHold: a hold passed on within the process is reported with its own
// owner and fence. A pass without a script keeps the old hold's token in the key, so it is
// made only between holds of one owner label; between two labels the pass runs the
// hand-off script, which writes the new token, and another process sees the new owner.
func TestInspectPassedHold(t *testing.T) {
	for name, owners := range map[string][2]string{"same owner": {"pod-a", "pod-a"}, "another owner": {"pod-a", "pod-b"}} {
		t.Run(name, func(t *testing.T) {
			ctx := testCtx(t)
			b, m, _ := newMiniBackend(t)
			other := newBackend(t, newClient(t, m.Addr()))
			first := newLock(t, b, "pass", lock.WithOwner(owners[0]))
			require.NoError(t, first.Acquire(ctx))
			next := newLock(t, b, "pass", lock.WithOwner(owners[1]))
			got := waitFor(ctx, next)
			parked(t, b, "pass")
			require.NoError(t, first.Release(ctx))
			require.NoError(t, <-got)

			info, err := lock.Inspect(ctx, b, "pass")
			require.NoError(t, err)
			require.Len(t, info.Holds, 1)
			assert.Equal(t, owners[1], info.Holds[0].Owner, "the holder's own process")
			assert.Equal(t, next.Fence(), info.Holds[0].Fence)

			info, err = lock.Inspect(ctx, other, "pass")
			require.NoError(t, err)
			require.Len(t, info.Holds, 1)
			assert.Equal(t, owners[1], info.Holds[0].Owner, "another process")
			require.NoError(t, next.Release(ctx))
		})
	}
}

// TestInspectDefaultOwnerAndInvalid: a hold without WithOwner carries "<hostname>/<pid>"; a
// bad name is ErrInvalid; a closed backend says so.
func TestInspectDefaultOwnerAndInvalid(t *testing.T) {
	ctx := testCtx(t)
	b, _, _ := newMiniBackend(t)
	l := newLock(t, b, "dflt")
	require.NoError(t, l.Acquire(ctx))
	info, err := lock.Inspect(ctx, b, "dflt")
	require.NoError(t, err)
	require.Len(t, info.Holds, 1)
	assert.Equal(t, driver.DefaultOptions().Owner, info.Holds[0].Owner)
	require.NoError(t, l.Release(ctx))

	_, err = lock.Inspect(ctx, b, "")
	assert.ErrorIs(t, err, lock.ErrInvalid)
	_, err = lock.Inspect(ctx, b, "a{b}")
	assert.ErrorIs(t, err, lock.ErrInvalid)
	require.NoError(t, b.Close())
	_, err = lock.Inspect(ctx, b, "dflt")
	assert.ErrorIs(t, err, lock.ErrClosed)
}
