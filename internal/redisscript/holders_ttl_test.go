package redisscript_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redisscript"
)

// TestHoldersKeysOutliveTheirHolds: every script that writes a hold's expiry into the
// holders set gives the set's key a TTL at least that far (PROTOCOL.md, "Several holders",
// "Exclusion"). busy.lua relies on it: an exclusive take that finds no set key takes the
// lock without looking for live holds in it.
func TestHoldersKeysOutliveTheirHolds(t *testing.T) {
	f := newFixture(t, "outlive")
	h := redisscript.HoldersOf(f.key)
	longest := func() time.Duration { // of the live holds, on the server clock
		t.Helper()
		zs, err := f.c.ZRangeWithScores(f.ctx, h.Set, -1, -1).Result()
		require.NoError(t, err)
		require.Len(t, zs, 1)
		return time.Duration(int64(zs[0].Score)-f.now.UnixMilli()) * time.Millisecond
	}
	outlives := func(step string) {
		t.Helper()
		assert.GreaterOrEqual(t, f.pttl(h.Set), longest(), "%s: the set's key expires before a hold in it", step)
	}
	try := func(token string, ttl time.Duration, w redisscript.Wait) redisscript.Try {
		t.Helper()
		got, err := redisscript.TryMulti(f.ctx, f.c, f.key, f.fence, f.q, token, ttl, 0, 2, w)
		require.NoError(t, err)
		return got
	}

	require.True(t, try("a", time.Second, redisscript.Wait{}).OK)
	outlives("multi.lua, a first hold")
	require.True(t, try("b", 5*time.Second, redisscript.Wait{}).OK)
	outlives("multi.lua, a longer hold beside a shorter")
	f.advance(500 * time.Millisecond)
	require.True(t, try("a", 9*time.Second, redisscript.Wait{}).OK)
	outlives("multi.lua, a hold found its own")
	ok, err := redisscript.ExtendMulti(f.ctx, f.c, f.key, "b", 20*time.Second)
	require.NoError(t, err)
	require.True(t, ok)
	outlives("multi_extend.lua")

	// A queued waiter is granted the permit b frees, for a grant TTL longer than a's hold.
	require.False(t, try("c", time.Second, wait(1, 30*time.Second)).OK, "full: c queues")
	ok, err = redisscript.ReleaseMulti(f.ctx, f.c, f.key, f.fence, f.q, "b", f.channel, publishBy, 0)
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = redisscript.ReleaseMulti(f.ctx, f.c, f.key, f.fence, f.q, "a", f.channel, publishBy, 0)
	require.NoError(t, err)
	require.True(t, ok)
	outlives("multi_release.lua, a grant")

	// With the set's key gone, an exclusive take finds the name free.
	ok, err = redisscript.ReleaseMulti(f.ctx, f.c, f.key, f.fence, f.q, "c", f.channel, publishBy, 0)
	require.NoError(t, err)
	require.True(t, ok)
	require.False(t, f.exists(h.Set))
	got, err := redisscript.TryAcquire(f.ctx, f.c, f.key, f.fence, "x", time.Second, 0)
	require.NoError(t, err)
	assert.True(t, got.OK)
}
