package redisscript_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redisscript"
)

// TestPermitPassToNext: a release that names a waiter of its own process (Next) admits it
// when the queue owes it the freed permit, with a fence above the released hold's and its
// own TTL, and publishes nothing for it; when a waiter queued before it is owed the permit,
// that one is granted it by message, and Next stays queued.
func TestPermitPassToNext(t *testing.T) {
	f := newFixture(t, "permpass")
	try := func(token string, w redisscript.Wait) redisscript.Try {
		t.Helper()
		got, err := redisscript.TryMulti(f.ctx, f.c, f.key, f.fence, f.q, token, time.Second, 0, 2, w)
		require.NoError(t, err)
		return got
	}
	release := func(token string, fence uint64, next string) redisscript.ReleasedMulti {
		t.Helper()
		r, err := redisscript.ReleaseMultiTo(f.ctx, f.c, f.key, f.fence, f.q, token, f.channel, publishBy, fence, redisscript.Next{Token: next, TTL: time.Minute})
		require.NoError(t, err)
		assert.True(t, r.OK, token)
		return r
	}
	a, b := try("a", wait(1, time.Second)), try("b", wait(1, time.Second))
	require.True(t, a.OK && b.OK)
	for _, tok := range []string{"c", "d"} {
		assert.False(t, try(tok, wait(1, time.Second)).OK, tok)
	}
	ps := f.subscribe()

	r := release("a", a.Fence, "d")
	assert.False(t, r.Passed, "d passed c, queued before it")
	f.nextGrant(ps, "c", 1)
	assert.Equal(t, []string{"d"}, f.list())

	r = release("b", b.Fence, "d")
	require.True(t, r.Passed, "d is first in the queue")
	assert.Greater(t, r.Fence, b.Fence)
	assert.Equal(t, uint64(f.now.UnixMicro()), r.Clock)
	assert.Empty(t, f.list(), "d left the queue")
	score, err := f.c.ZScore(f.ctx, redisscript.HoldersOf(f.key).Set, "d").Result()
	require.NoError(t, err)
	assert.Equal(t, float64(f.now.Add(time.Minute).UnixMilli()), score, "d holds for its own TTL")
	got := try("d", wait(2, time.Second))
	require.True(t, got.OK, "d's hold is its own")
	assert.Equal(t, r.Fence, got.Fence)

	// Nothing was published for d: the next message is the one this release sends.
	release("c", 0, "")
	assert.Equal(t, "released", f.next(ps))
}
