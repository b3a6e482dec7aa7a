package redisscript_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redisscript"
)

// tamper is what a test does to the fence counter behind baton's back.
var tamper = map[string]func(f *fixture){
	"deleted": func(f *fixture) { require.NoError(f.t, f.c.Del(f.ctx, f.fence).Err()) },
	"set to 1": func(f *fixture) {
		require.NoError(f.t, f.c.Set(f.ctx, f.fence, 1, 0).Err())
	},
}

// TestFoundGrantKeepsItsFence: a waiter that finds the lock granted to it (the grant's
// message was lost) holds with the fence the grant issued, above the holder's, also after
// the counter was deleted or lowered. The old rule returned the counter: 0 or 1 here.
func TestFoundGrantKeepsItsFence(t *testing.T) {
	for name, spoil := range tamper {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, "found")
			held := f.hold("h", holdTTL)
			f.queue("w", wait(1, grantTTL))
			f.advanceClock(time.Millisecond)
			require.Equal(t, redisscript.Granted, f.release("h", false))
			_, granted := f.value()
			require.Greater(t, granted, held)

			spoil(f)
			ok, fence, _ := f.try("w", wait(2, grantTTL))
			require.True(t, ok)
			assert.Equal(t, granted, fence, "the fence the grant issued")
			assert.Greater(t, fence, held, "above the previous holder's")
		})
	}
}

// TestRetriedTryKeepsItsFence: a try whose reply was lost, sent again, returns the fence
// the first one was issued, not what the counter says by then.
func TestRetriedTryKeepsItsFence(t *testing.T) {
	for name, spoil := range tamper {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, "retry")
			before := f.hold("p", holdTTL)
			require.Equal(t, redisscript.Freed, f.release("p", false))
			f.advanceClock(time.Millisecond)
			first := f.hold("h", holdTTL)
			require.Greater(t, first, before)

			spoil(f)
			got, err := redisscript.TryAcquire(f.ctx, f.c, f.key, f.fence, "h", holdTTL, 0)
			require.NoError(t, err)
			require.True(t, got.OK)
			assert.Equal(t, first, got.Fence)
		})
	}
}

// TestFenceAfterCounterLost: once the counter is gone or lower, the next fresh take and
// the next grant still get fences above every earlier one, from the server clock.
func TestFenceAfterCounterLost(t *testing.T) {
	for name, spoil := range tamper {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, "lost")
			last := f.hold("a", holdTTL)
			f.queue("b", wait(1, grantTTL))
			spoil(f)
			f.advanceClock(time.Microsecond)
			require.Equal(t, redisscript.Granted, f.release("a", false))
			_, granted := f.value()
			assert.Greater(t, granted, last, "a grant")
			require.Equal(t, redisscript.Freed, f.release("b", false))

			spoil(f)
			f.advanceClock(time.Microsecond)
			assert.Greater(t, f.hold("c", holdTTL), granted, "a fresh take")
		})
	}
}

// TestFenceFloor: a fence is above the floor the caller gives (its last fence, or the
// fence a pass in the process took), however far behind the clock and the counter are.
func TestFenceFloor(t *testing.T) {
	f := newFixture(t, "floor")
	ahead := uint64(base.Add(time.Hour).UnixMicro())
	got, err := redisscript.TryAcquire(f.ctx, f.c, f.key, f.fence, "a", holdTTL, ahead)
	require.NoError(t, err)
	require.True(t, got.OK)
	assert.Equal(t, ahead+1, got.Fence, "the floor + 1")
	assert.Equal(t, uint64(base.UnixMicro()), got.Clock, "the server clock in µs")

	ok, handed, clock, err := redisscript.Handoff(f.ctx, f.c, f.key, f.fence, f.q, "a", "b", holdTTL, ahead+10)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, ahead+11, handed, "above the old hold's fence")
	assert.Equal(t, uint64(base.UnixMicro()), clock)

	f.queue("w", wait(1, grantTTL))
	_, err = redisscript.ReleaseOrGrant(f.ctx, f.c, f.key, f.fence, f.q, "b", f.channel, publishBy, ahead+20, false)
	require.NoError(t, err)
	_, granted := f.value()
	assert.Equal(t, ahead+21, granted, "a grant is above the releasing hold's fence")
}

// TestFenceIsServerMicroseconds: with an intact counter and one take per µs or less, the
// fence is the server clock in µs, so it stays an exact JSON number (≤ 2^53) until the
// year 2255; the counter is one key without a TTL.
func TestFenceIsServerMicroseconds(t *testing.T) {
	f := newFixture(t, "clock")
	f.now = time.Date(2126, 12, 31, 23, 59, 59, 999999000, time.UTC)
	f.m.SetTime(f.now)
	fence := f.hold("h", holdTTL)
	assert.Equal(t, uint64(f.now.UnixMicro()), fence)
	assert.LessOrEqual(t, fence, uint64(1)<<53, "exact as a JSON number a hundred years on")
	assert.Equal(t, time.Duration(-1), f.pttl(f.fence), "the counter has no TTL")
	token, kept := f.value()
	assert.Equal(t, "h", token)
	assert.Equal(t, fence, kept, "the lock key carries its fence")

	require.Equal(t, redisscript.Freed, f.release("h", false))
	assert.Equal(t, fence+1, f.hold("i", holdTTL), "the counter + 1 within the same µs")
	counter, err := f.c.Get(f.ctx, f.fence).Uint64()
	require.NoError(t, err)
	assert.Equal(t, fence+1, counter, "the counter keeps the fence, not the clock it is first written with")
}

// TestScriptsReadTheKeyValue: release, extend, hand-off and grant compare the token part
// of "<token> <fence>" exactly: a token that is a prefix of the owner's is not the owner.
func TestScriptsReadTheKeyValue(t *testing.T) {
	f := newFixture(t, "value")
	f.hold("tok", holdTTL)
	for _, other := range []string{"to", "tok ", "tok 1", ""} {
		ok, err := redisscript.Extend(f.ctx, f.c, f.key, other, time.Second)
		require.NoError(t, err)
		assert.False(t, ok, "extend by %q", other)
		ok, err = redisscript.Release(f.ctx, f.c, f.key, f.fence, other, f.channel, "", 0)
		require.NoError(t, err)
		assert.False(t, ok, "release by %q", other)
		ok, _, _, err = redisscript.Handoff(f.ctx, f.c, f.key, f.fence, f.q, other, "x", time.Second, 0)
		require.NoError(t, err)
		assert.False(t, ok, "handoff by %q", other)
		assert.Equal(t, redisscript.NotHeld, f.release(other, false), "grant by %q", other)
	}
	ok, err := redisscript.Extend(f.ctx, f.c, f.key, "tok", 2*holdTTL)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Greater(t, f.pttl(f.key), holdTTL)
	assert.Equal(t, "tok", f.owner())
}

// TestOldLayoutHolderIsSomeoneElse: a key written by a fleet on the old layout (the bare
// token) is another owner's to this one, so mixed fleets still exclude each other.
func TestOldLayoutHolderIsSomeoneElse(t *testing.T) {
	f := newFixture(t, "old")
	require.NoError(t, f.c.Set(f.ctx, f.key, "tok", holdTTL).Err())
	got, err := redisscript.TryAcquire(f.ctx, f.c, f.key, f.fence, "tok", holdTTL, 0)
	require.NoError(t, err)
	assert.False(t, got.OK)
	assert.Equal(t, "tok", got.Owner)
	ok, err := redisscript.Release(f.ctx, f.c, f.key, f.fence, "tok", f.channel, "", 0)
	require.NoError(t, err)
	assert.False(t, ok)
}

// TestCountersShareTheLockSlot: a counter key is in its lock key's cluster slot, one per
// slot: 10^5 names need at most 16,384 counters on a cluster, and one on a plain server.
func TestCountersShareTheLockSlot(t *testing.T) {
	for _, prefix := range []string{"", "baton:", "a}b:", "x{fixed}:", "open{", "{}"} {
		t.Run(fmt.Sprintf("prefix %q", prefix), func(t *testing.T) {
			c := redisscript.NewCounters(prefix, true)
			seen := make(map[string]bool)
			for i := range 20000 {
				key := prefix + "{" + fmt.Sprint("name:", i) + "}"
				if i%1000 == 0 {
					key = prefix + "{}" + fmt.Sprint(i) + "}" // an empty tag: the whole key hashes
				}
				counter := c.Key(key)
				require.Equal(t, redisscript.Slot(key), redisscript.Slot(counter), "%s and %s", key, counter)
				require.NotEqual(t, key+":fence:"+redisscript.Layout, counter, "a shared counter, not one of its own")
				seen[counter] = true
			}
			assert.LessOrEqual(t, len(seen), 16384)
		})
	}
	plain := redisscript.NewCounters("baton:", false)
	assert.Equal(t, "baton:fence:v2", plain.Key("baton:{a}"), "one versioned counter on a plain server")
	assert.Equal(t, plain.Key("baton:{a}"), plain.Key("baton:{b}"))
}

// TestSlot checks the CRC16 slot against values Redis' CLUSTER KEYSLOT gives.
func TestSlot(t *testing.T) {
	for key, want := range map[string]uint16{
		"foo": 12182, "123456789": 0x31c3 % 16384, "{user1000}.following": 3443,
		"{user1000}.followers": 3443, "foo{}{bar}": 8363, "foo{{bar}}zap": 4015, "foo{bar}{zap}": 5061,
	} {
		assert.Equal(t, want, redisscript.Slot(key), key)
	}
}

// TestReleaseRaisesTheCounter: a quorum node's release raises the counter to the hold's
// fence before it frees the key (PROTOCOL.md, "Fences", 6), and never lowers it: the next
// take on the node gets a larger fence, though the hold's fence came from another node.
func TestReleaseRaisesTheCounter(t *testing.T) {
	f := newFixture(t, "raise-on-release")
	first := f.hold("a", holdTTL)
	ok, err := redisscript.Release(f.ctx, f.c, f.key, f.fence, "a", f.channel, "", first+1000)
	require.NoError(t, err)
	require.True(t, ok)
	second := f.hold("b", holdTTL)
	require.Greater(t, second, first+1000, "the next take on the node is above the raised fence")

	ok, err = redisscript.Release(f.ctx, f.c, f.key, f.fence, "b", f.channel, "", 1)
	require.NoError(t, err)
	require.True(t, ok)
	third := f.hold("c", holdTTL)
	require.Greater(t, third, second, "a release with a smaller fence does not lower the counter")

	ok, err = redisscript.Release(f.ctx, f.c, f.key, f.fence, "other", f.channel, "", third+5000)
	require.NoError(t, err)
	require.False(t, ok)
	n, err := f.c.Get(f.ctx, f.fence).Uint64()
	require.NoError(t, err)
	require.Less(t, n, third+5000, "a release that does not hold the key raises nothing")
}
