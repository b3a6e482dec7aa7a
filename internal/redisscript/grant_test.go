package redisscript_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redisscript"
)

func TestGrantsInQueueOrder(t *testing.T) {
	f := newFixture(t, "fifo")
	holderFence := f.hold("h", holdTTL)

	f.queue("w1", wait(7, 3*time.Second))
	f.queue("w2", wait(8, 4*time.Second))
	f.queue("w3", wait(9, 5*time.Second))
	require.Equal(t, []string{"w1", "w2", "w3"}, f.list())
	require.Len(t, f.waiters(), 3)

	ps := f.subscribe()

	// A waiter that does not hold the lock cannot release it, nor start the grants.
	assert.Equal(t, redisscript.NotHeld, f.release("w2", false))
	assert.Equal(t, "h", f.owner())
	assert.Equal(t, []string{"w1", "w2", "w3"}, f.list())

	last := holderFence
	for _, w := range []struct {
		token string
		try   uint64
		grant time.Duration
		from  string
		rest  []string
	}{
		{"w1", 7, 3 * time.Second, "h", []string{"w2", "w3"}},
		{"w2", 8, 4 * time.Second, "w1", []string{"w3"}},
		{"w3", 9, 5 * time.Second, "w2", []string{}},
	} {
		require.Equal(t, redisscript.Granted, f.release(w.from, false), "release by %s", w.from)
		fence := f.nextGrant(ps, w.token, w.try)
		assert.Equal(t, f.fenceNow(), fence, "the published fence is the fence key's")
		assert.Greater(t, fence, last, "the grant to %s advances the fence", w.token)
		last = fence
		assert.Equal(t, w.token, f.owner())
		pttl := f.pttl(f.key)
		assert.Positive(t, pttl)
		assert.LessOrEqual(t, pttl, w.grant, "the key gets the grantee's grant TTL")
		assert.Equal(t, w.rest, f.list())
		assert.NotContains(t, f.waiters(), w.token)
	}

	require.Equal(t, redisscript.Freed, f.release("w3", false))
	assert.Equal(t, "released", f.next(ps))
	assert.Empty(t, f.owner())
}

func TestExpiredEntryIsSkipped(t *testing.T) {
	f := newFixture(t, "expired")
	f.hold("h", holdTTL)

	f.queue("w1", redisscript.Wait{Life: 2 * time.Second, Try: 1, Grant: grantTTL})
	f.queue("w2", redisscript.Wait{Life: life, Try: 4, Grant: grantTTL})
	// w1's entry expires exactly now: an entry lives until, not through, its expiry.
	f.advance(2 * time.Second)
	require.True(t, f.exists(f.q.Hash), "the queue keys live as long as w2's entry")

	ps := f.subscribe()
	require.Equal(t, redisscript.Granted, f.release("h", false))
	f.nextGrant(ps, "w2", 4)
	assert.Equal(t, "w2", f.owner())
	assert.Empty(t, f.list())
	assert.Empty(t, f.waiters(), "w1's expired entry is deleted as it is skipped")
}

func TestEntryLivesUntilItsExpiry(t *testing.T) {
	f := newFixture(t, "live")
	f.hold("h", holdTTL)

	f.queue("w1", redisscript.Wait{Life: 2 * time.Second, Try: 1, Grant: grantTTL})
	f.queue("w2", redisscript.Wait{Life: life, Try: 1, Grant: grantTTL})
	f.advance(2*time.Second - time.Millisecond)

	ps := f.subscribe()
	require.Equal(t, redisscript.Granted, f.release("h", false))
	f.nextGrant(ps, "w1", 1)
	assert.Equal(t, "w1", f.owner())
	assert.Equal(t, []string{"w2"}, f.list())
}

func TestEntryMissingFromHashIsSkipped(t *testing.T) {
	f := newFixture(t, "missing")
	f.hold("h", holdTTL)

	f.queue("w1", wait(1, grantTTL))
	f.queue("w2", wait(2, grantTTL))
	require.NoError(t, f.c.HDel(f.ctx, f.q.Hash, "w1").Err())
	require.Equal(t, []string{"w1", "w2"}, f.list())

	ps := f.subscribe()
	require.Equal(t, redisscript.Granted, f.release("h", false))
	f.nextGrant(ps, "w2", 2)
	assert.Equal(t, "w2", f.owner())
	assert.Empty(t, f.list(), "w1's token is popped with the skip")
}

func TestReleaseWithoutWaitersFrees(t *testing.T) {
	f := newFixture(t, "free")
	f.hold("h", holdTTL)
	ps := f.subscribe()

	require.Equal(t, redisscript.Freed, f.release("h", false))
	assert.Equal(t, "released", f.next(ps))
	f.noKeys()

	// Released twice: the token no longer holds the lock.
	assert.Equal(t, redisscript.NotHeld, f.release("h", false))
}

func TestReleaseWithOnlyExpiredWaitersFrees(t *testing.T) {
	f := newFixture(t, "stale")
	f.hold("h", holdTTL)
	f.queue("w1", redisscript.Wait{Life: time.Second, Try: 1, Grant: grantTTL})
	f.queue("w2", redisscript.Wait{Life: time.Second, Try: 1, Grant: grantTTL})

	// Only the server clock moves, so the queue keys are still there with both (expired)
	// entries in them: the script has to tell by the entries' expiry.
	f.advanceClock(2 * time.Second)
	require.Equal(t, []string{"w1", "w2"}, f.list())
	require.Len(t, f.waiters(), 2)

	ps := f.subscribe()
	require.Equal(t, redisscript.Freed, f.release("h", false))
	assert.Equal(t, "released", f.next(ps))
	f.noKeys()
}

func TestWithdrawWhileWaiting(t *testing.T) {
	f := newFixture(t, "withdraw")
	f.hold("h", holdTTL)
	f.queue("w1", wait(1, grantTTL))
	f.queue("w2", wait(2, grantTTL))
	f.queue("w3", wait(3, grantTTL))
	ps := f.subscribe()

	// Without withdraw, a waiter's release does not touch its entry.
	require.Equal(t, redisscript.NotHeld, f.release("w2", false))
	require.Equal(t, []string{"w1", "w2", "w3"}, f.list())

	require.Equal(t, redisscript.NotHeld, f.release("w2", true))
	assert.Equal(t, []string{"w1", "w3"}, f.list())
	assert.NotContains(t, f.waiters(), "w2")
	assert.Contains(t, f.waiters(), "w1")
	assert.Contains(t, f.waiters(), "w3")
	assert.Equal(t, "h", f.owner(), "a withdrawal leaves the holder alone")

	// The withdrawal published nothing: the next message is h's grant to w1.
	require.Equal(t, redisscript.Granted, f.release("h", false))
	f.nextGrant(ps, "w1", 1)
}

func TestWithdrawAfterGrantPassesTheLockOn(t *testing.T) {
	f := newFixture(t, "giveup")
	f.hold("h", holdTTL)
	f.queue("w1", wait(1, grantTTL))
	f.queue("w2", wait(2, grantTTL))
	ps := f.subscribe()

	require.Equal(t, redisscript.Granted, f.release("h", false))
	first := f.nextGrant(ps, "w1", 1)

	// w1 gives up without having seen its grant: the lock goes on to w2.
	require.Equal(t, redisscript.Granted, f.release("w1", true))
	second := f.nextGrant(ps, "w2", 2)
	assert.Greater(t, second, first)
	assert.Equal(t, "w2", f.owner())

	// w2 gives up too, with no one left: the lock is freed.
	require.Equal(t, redisscript.Freed, f.release("w2", true))
	assert.Equal(t, "released", f.next(ps))
	f.noKeys()
}

func TestGranteeTakesTheGrantedLock(t *testing.T) {
	f := newFixture(t, "grantee")
	f.hold("h", holdTTL)
	f.queue("w1", wait(1, grantTTL))
	f.queue("w2", wait(1, grantTTL))
	ps := f.subscribe()

	require.Equal(t, redisscript.Granted, f.release("h", false))
	granted := f.nextGrant(ps, "w1", 1)

	ok, fence, _ := f.try("w1", wait(2, grantTTL))
	require.True(t, ok, "the grantee's try finds the lock its own")
	assert.Equal(t, granted, fence, "the try returns the fence of the grant")
	pttl := f.pttl(f.key)
	assert.Greater(t, pttl, grantTTL, "the try sets the key's TTL to the hold's")
	assert.LessOrEqual(t, pttl, holdTTL)
	assert.Equal(t, []string{"w2"}, f.list())
	assert.NotContains(t, f.waiters(), "w1")
	assert.Contains(t, f.waiters(), "w2")
}
