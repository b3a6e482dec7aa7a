package redisscript_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redisscript"
)

// TestMultiLayout: permits fill up to n with growing fences, an exclusive try fails beside
// them and a handle with another n is told their n; a release frees a permit and the last
// one leaves no key behind; an expired hold no longer counts.
func TestMultiLayout(t *testing.T) {
	f := newFixture(t, "multi")
	h := redisscript.HoldersOf(f.key)
	var last uint64
	for _, tok := range []string{"a", "b"} {
		got, err := redisscript.TryMulti(f.ctx, f.c, f.key, f.fence, f.q, tok, time.Second, 0, 2, redisscript.Wait{})
		require.NoError(t, err)
		require.True(t, got.OK, tok)
		assert.Greater(t, got.Fence, last)
		last = got.Fence
	}
	full, err := redisscript.TryMulti(f.ctx, f.c, f.key, f.fence, f.q, "c", time.Second, 0, 2, redisscript.Wait{})
	require.NoError(t, err)
	assert.False(t, full.OK, "a third permit of two")
	assert.Positive(t, full.PTTL)
	other, err := redisscript.TryMulti(f.ctx, f.c, f.key, f.fence, f.q, "c", time.Second, 0, 3, redisscript.Wait{})
	require.NoError(t, err)
	assert.Equal(t, 2, other.Theirs, "a handle with another n")
	excl, err := redisscript.TryAcquire(f.ctx, f.c, f.key, f.fence, "x", time.Second, 0)
	require.NoError(t, err)
	assert.False(t, excl.OK, "an exclusive hold beside permits")
	assert.Equal(t, 2, excl.Theirs, "an exclusive handle has n = 1")

	ok, err := redisscript.ReleaseMulti(f.ctx, f.c, f.key, f.fence, f.q, "a", f.channel, publishBy, 0)
	require.NoError(t, err)
	assert.True(t, ok)
	again, err := redisscript.TryMulti(f.ctx, f.c, f.key, f.fence, f.q, "c", time.Second, 0, 2, redisscript.Wait{})
	require.NoError(t, err)
	assert.True(t, again.OK, "a released permit is free")
	for _, tok := range []string{"b", "c"} {
		ok, err := redisscript.ReleaseMulti(f.ctx, f.c, f.key, f.fence, f.q, tok, f.channel, publishBy, 0)
		require.NoError(t, err)
		assert.True(t, ok, tok)
	}
	assert.False(t, f.exists(h.Set) || f.exists(h.Hash), "no state once unused")

	// Expired holds do not count (the clock moves on; the keys' TTLs too).
	got, err := redisscript.TryMulti(f.ctx, f.c, f.key, f.fence, f.q, "d", time.Second, 0, 1, redisscript.Wait{})
	require.NoError(t, err)
	require.True(t, got.OK)
	f.advanceClock(2 * time.Second)
	excl, err = redisscript.TryAcquire(f.ctx, f.c, f.key, f.fence, "x", time.Second, 0)
	require.NoError(t, err)
	assert.True(t, excl.OK, "an expired shared hold is not in the way")
}

// TestSharedYieldsToQueuedWriter: a shared try fails while an exclusive waiter of another
// process is queued on the server, and an exclusive key keeps shared holds out.
func TestSharedYieldsToQueuedWriter(t *testing.T) {
	f := newFixture(t, "rw")
	f.hold("w", holdTTL)
	r, err := redisscript.TryMulti(f.ctx, f.c, f.key, f.fence, f.q, "r", time.Second, 0, 1, redisscript.Wait{})
	require.NoError(t, err)
	assert.False(t, r.OK, "a reader beside a writer")
	f.queue("w2", wait(1, grantTTL))
	require.Equal(t, redisscript.Granted, f.release("w", false))
	require.Equal(t, redisscript.Freed, f.release("w2", false))
	// A writer queued on the server while readers hold (wait.lua queues it then).
	entry := strconv.FormatInt(f.now.Add(life).UnixMilli(), 10) + " 1 3000"
	require.NoError(t, f.c.HSet(f.ctx, f.q.Hash, "w3", entry).Err())
	r, err = redisscript.TryMulti(f.ctx, f.c, f.key, f.fence, f.q, "r", time.Second, 0, 1, redisscript.Wait{})
	require.NoError(t, err)
	assert.False(t, r.OK, "a reader behind a queued writer")
}

// TestWriterQueuesBehindReaders: an exclusive waiter's try beside shared holds queues it on
// the server (and so holds new readers back), and the last reader's release lets it in.
func TestWriterQueuesBehindReaders(t *testing.T) {
	f := newFixture(t, "wq")
	r, err := redisscript.TryMulti(f.ctx, f.c, f.key, f.fence, f.q, "r", time.Second, 0, 1, redisscript.Wait{})
	require.NoError(t, err)
	require.True(t, r.OK)
	ok, _, pttl := f.try("w", wait(1, grantTTL))
	assert.False(t, ok, "a writer beside a reader")
	assert.Positive(t, pttl)
	assert.Equal(t, []string{"w"}, f.list(), "the writer queued")
	ok, err = redisscript.ReleaseMulti(f.ctx, f.c, f.key, f.fence, f.q, "r", f.channel, publishBy, 0)
	require.NoError(t, err)
	require.True(t, ok)
	ok, _, _ = f.try("w", wait(2, grantTTL))
	assert.True(t, ok, "the writer, once the reader left")
}
