package redisscript_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redisscript"
)

// TestPermitGrant: permit waiters that find the name full queue on the server; a release
// grants the freed permit to the first of them, with a fence above the released hold's, and
// its next try finds the hold its own; a newcomer does not take a permit owed to a queued
// waiter, and a waiter that gives up leaves the queue.
func TestPermitGrant(t *testing.T) {
	f := newFixture(t, "permq")
	try := func(token string, w redisscript.Wait) redisscript.Try {
		t.Helper()
		got, err := redisscript.TryMulti(f.ctx, f.c, f.key, f.fence, f.q, token, time.Second, 0, 2, w)
		require.NoError(t, err)
		return got
	}
	release := func(token string, fence uint64) {
		t.Helper()
		ok, err := redisscript.ReleaseMulti(f.ctx, f.c, f.key, f.fence, f.q, token, f.channel, publishBy, fence)
		require.NoError(t, err)
		assert.True(t, ok, token)
	}
	a, b := try("a", wait(1, time.Second)), try("b", wait(1, time.Second))
	require.True(t, a.OK && b.OK)
	for _, tok := range []string{"c", "d"} {
		assert.False(t, try(tok, wait(1, time.Second)).OK, tok)
	}
	assert.Equal(t, []string{"c", "d"}, f.list(), "full: the waiters queue in order")

	ps := f.subscribe()
	release("a", a.Fence)
	fence := f.nextGrant(ps, "c", 1)
	assert.Greater(t, fence, b.Fence, "a granted permit gets a new fence")
	assert.Equal(t, []string{"d"}, f.list())
	assert.False(t, try("e", wait(1, time.Second)).OK, "full again: the grantee holds")
	got := try("c", wait(2, time.Second))
	require.True(t, got.OK, "the grantee's try finds the permit its own")
	assert.Equal(t, fence, got.Fence)

	// A permit freed by expiry (no release, so no grant) is owed to d, the first queued;
	// e, queued behind it, and a newcomer f do not take it.
	f.advanceClock(500 * time.Millisecond)
	assert.True(t, try("c", wait(2, time.Second)).OK, "c renews")
	assert.False(t, try("d", wait(2, time.Second)).OK, "d refreshes its entry")
	assert.False(t, try("e", wait(2, time.Second)).OK, "e refreshes its entry")
	f.advanceClock(600 * time.Millisecond) // b's hold has expired; c's has not
	assert.False(t, try("f", redisscript.Wait{}).OK, "a newcomer passed the queue")
	assert.False(t, try("e", wait(3, time.Second)).OK, "e passed d")
	assert.True(t, try("d", wait(3, time.Second)).OK, "the first queued takes the free permit")

	ok, err := redisscript.ReleaseMulti(f.ctx, f.c, f.key, f.fence, f.q, "e", f.channel, publishBy, 0)
	require.NoError(t, err)
	assert.False(t, ok, "e gives up: it held nothing, but leaves the queue")
	assert.Empty(t, f.list())
}
