package redisscript_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redisscript"
)

func TestRefreshKeepsPlaceAndUpdatesEntry(t *testing.T) {
	f := newFixture(t, "refresh")
	f.hold("h", holdTTL)

	f.queue("w1", wait(1, 2*time.Second))
	f.queue("w2", wait(1, 2*time.Second))
	first := f.entry("w1")
	assert.Equal(t, entry{expiry: base.Add(life).UnixMilli(), try: 1, grant: 2000}, first)

	f.advance(time.Second)
	f.queue("w1", redisscript.Wait{Life: 20 * time.Second, Try: 2, Grant: 5 * time.Second})
	assert.Equal(t, []string{"w1", "w2"}, f.list(), "a refresh keeps the waiter's place")
	assert.Equal(t, entry{expiry: f.now.Add(20 * time.Second).UnixMilli(), try: 2, grant: 5000}, f.entry("w1"))
	assert.Equal(t, entry{expiry: base.Add(life).UnixMilli(), try: 1, grant: 2000}, f.entry("w2"),
		"another waiter's refresh leaves an entry alone")

	ps := f.subscribe()
	require.Equal(t, redisscript.Granted, f.release("h", false))
	f.nextGrant(ps, "w1", 2)
	pttl := f.pttl(f.key)
	assert.Greater(t, pttl, 2*time.Second, "the grant uses the refreshed grant TTL")
	assert.LessOrEqual(t, pttl, 5*time.Second)
}

func TestAlreadyMineRemovesEntry(t *testing.T) {
	f := newFixture(t, "mine")
	f.hold("h", holdTTL)
	f.queue("w1", wait(1, grantTTL))
	f.queue("w2", wait(1, grantTTL))

	// The key is w1's while its entry is still queued, as after a grant whose message and
	// try reply were lost, before w1's next try finds the key its own.
	const handed = 1234567
	require.NoError(t, f.c.Set(f.ctx, f.key, "w1 1234567", grantTTL).Err())
	require.Contains(t, f.waiters(), "w1")

	ok, fence, _ := f.try("w1", wait(2, grantTTL))
	require.True(t, ok)
	assert.Equal(t, uint64(handed), fence)
	assert.Equal(t, []string{"w2"}, f.list())
	assert.NotContains(t, f.waiters(), "w1")
	assert.Contains(t, f.waiters(), "w2")
}

// TestHandoffTakesTheNewOwnerOutOfTheQueue: a waiter passed the lock by the hand-off script
// leaves the server's queue in the same script, as one that takes it by a try does; its
// withdrawal would otherwise run the release script with the token that now holds the key.
func TestHandoffTakesTheNewOwnerOutOfTheQueue(t *testing.T) {
	f := newFixture(t, "handoff")
	f.hold("h", holdTTL)
	f.queue("w1", wait(1, grantTTL))
	f.queue("w2", wait(1, grantTTL))

	ok, _, _, err := redisscript.Handoff(f.ctx, f.c, f.key, f.fence, f.q, "h", "w1", grantTTL, 0)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "w1", f.owner())
	assert.Equal(t, []string{"w2"}, f.list())
	assert.NotContains(t, f.waiters(), "w1")
	assert.Contains(t, f.waiters(), "w2")
}

func TestQueuedWaiterTakingFreeLockLeavesQueue(t *testing.T) {
	f := newFixture(t, "nx")
	holderFence := f.hold("h", time.Second)
	f.queue("w1", wait(1, grantTTL))
	f.queue("w2", wait(1, grantTTL))

	f.advance(2 * time.Second) // h's key expires without a release
	require.False(t, f.exists(f.key))

	ok, fence, _ := f.try("w2", wait(2, grantTTL))
	require.True(t, ok)
	assert.Greater(t, fence, holderFence)
	assert.Equal(t, "w2", f.owner())
	assert.Equal(t, []string{"w1"}, f.list())
	assert.NotContains(t, f.waiters(), "w2")
	assert.Contains(t, f.waiters(), "w1")
}

func TestZeroLifeRecordsNothing(t *testing.T) {
	f := newFixture(t, "nolife")
	f.hold("h", holdTTL)

	f.queue("w1", redisscript.Wait{Try: 1, Grant: grantTTL})
	assert.False(t, f.exists(f.q.List))
	assert.False(t, f.exists(f.q.Hash))

	// Nor does it refresh an entry the waiter already has.
	f.queue("w2", wait(1, grantTTL))
	before := f.entry("w2")
	f.advance(time.Second)
	f.queue("w2", redisscript.Wait{Try: 2, Grant: 5 * time.Second})
	assert.Equal(t, before, f.entry("w2"))
	assert.Equal(t, []string{"w2"}, f.list())
}

func TestQueueKeysExpireWithLife(t *testing.T) {
	f := newFixture(t, "keyttl")
	f.hold("h", holdTTL)

	f.queue("w1", redisscript.Wait{Life: 5 * time.Second, Try: 1, Grant: grantTTL})
	for _, k := range []string{f.q.List, f.q.Hash} {
		pttl := f.pttl(k)
		assert.Positive(t, pttl, k)
		assert.LessOrEqual(t, pttl, 5*time.Second, k)
	}

	// A later write pushes the keys' expiry out again.
	f.advance(3 * time.Second)
	f.queue("w2", redisscript.Wait{Life: 5 * time.Second, Try: 1, Grant: grantTTL})
	for _, k := range []string{f.q.List, f.q.Hash} {
		pttl := f.pttl(k)
		assert.Greater(t, pttl, 2*time.Second, k)
		assert.LessOrEqual(t, pttl, 5*time.Second, k)
	}

	f.advance(5 * time.Second)
	assert.False(t, f.exists(f.q.List))
	assert.False(t, f.exists(f.q.Hash))
}

func TestPlainAcquireAndReleaseIgnoreQueue(t *testing.T) {
	f := newFixture(t, "plain")
	got, err := redisscript.TryAcquire(f.ctx, f.c, f.key, f.fence, "h", holdTTL, 0)
	require.NoError(t, err)
	require.True(t, got.OK)
	first := got.Fence
	assert.Equal(t, f.fenceNow(), first)

	f.queue("w1", wait(1, grantTTL))
	wantList, wantHash := f.list(), f.waiters()

	got, err = redisscript.TryAcquire(f.ctx, f.c, f.key, f.fence, "x", holdTTL, 0)
	require.NoError(t, err)
	assert.False(t, got.OK)
	assert.Positive(t, got.PTTL)
	assert.Equal(t, wantList, f.list(), "a failed plain try does not queue")
	assert.Equal(t, wantHash, f.waiters())

	ps := f.subscribe()
	ok, err := redisscript.Release(f.ctx, f.c, f.key, f.fence, "x", f.channel, publishBy, 0)
	require.NoError(t, err)
	assert.False(t, ok, "x does not hold the lock")

	ok, err = redisscript.Release(f.ctx, f.c, f.key, f.fence, "h", f.channel, publishBy, 0)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "released", f.next(ps), "a plain release grants nothing")
	assert.False(t, f.exists(f.key))
	assert.Equal(t, wantList, f.list())
	assert.Equal(t, wantHash, f.waiters())

	got, err = redisscript.TryAcquire(f.ctx, f.c, f.key, f.fence, "w1", holdTTL, 0)
	require.NoError(t, err)
	require.True(t, got.OK)
	assert.Greater(t, got.Fence, first)
	assert.Equal(t, wantList, f.list(), "a plain take leaves the queue alone")
	assert.Equal(t, wantHash, f.waiters())
}

// TestShortEntryKeepsLongerOnesAlive: a waiter whose entry lives less than those already
// queued does not shorten the queue keys' TTL, which would drop the others' entries.
func TestShortEntryKeepsLongerOnesAlive(t *testing.T) {
	f := newFixture(t, "short")
	f.hold("h", holdTTL)

	f.queue("w1", redisscript.Wait{Life: life, Try: 1, Grant: grantTTL})
	f.queue("w2", redisscript.Wait{Life: time.Second, Try: 1, Grant: grantTTL})
	for _, k := range []string{f.q.List, f.q.Hash} {
		assert.Greater(t, f.pttl(k), 9*time.Second, k)
	}
	f.advance(2 * time.Second)

	ps := f.subscribe()
	require.Equal(t, redisscript.Granted, f.release("h", false))
	f.nextGrant(ps, "w1", 1)
	assert.Equal(t, "w1", f.owner())
}

// TestQuietRelease: with no publish command, Release frees the key and says nothing: the
// quorum backend frees so the nodes a failed try took, where no waiter needs the news.
func TestQuietRelease(t *testing.T) {
	f := newFixture(t, "quiet")
	f.hold("h", holdTTL)
	ps := f.subscribe()
	ok, err := redisscript.Release(f.ctx, f.c, f.key, f.fence, "h", f.channel, "", 0)
	require.NoError(t, err)
	require.True(t, ok)
	assert.False(t, f.exists(f.key))
	require.NoError(t, f.c.Publish(f.ctx, f.channel, "marker").Err())
	assert.Equal(t, "marker", f.next(ps), "the quiet release published")
}

// TestTryAcquireTellsTheOwner: a try that finds the lock held returns the holder's token
// with the key's TTL (the quorum backend tells one holder's majority from a split vote).
func TestTryAcquireTellsTheOwner(t *testing.T) {
	f := newFixture(t, "owner")
	got, err := redisscript.TryAcquire(f.ctx, f.c, f.key, f.fence, "h", holdTTL, 0)
	require.NoError(t, err)
	require.True(t, got.OK)
	assert.Equal(t, f.fenceNow(), got.Fence)

	got, err = redisscript.TryAcquire(f.ctx, f.c, f.key, f.fence, "x", holdTTL, 0)
	require.NoError(t, err)
	assert.False(t, got.OK)
	assert.Equal(t, "h", got.Owner)
	assert.Positive(t, got.PTTL)
	assert.LessOrEqual(t, got.PTTL, holdTTL)

	require.NoError(t, f.c.Persist(f.ctx, f.key).Err())
	got, err = redisscript.TryAcquire(f.ctx, f.c, f.key, f.fence, "x", holdTTL, 0)
	require.NoError(t, err)
	assert.Equal(t, redisscript.Try{PTTL: -1, Owner: "h"}, got, "a key without a TTL")
}
