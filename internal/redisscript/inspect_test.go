package redisscript_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redisscript"
)

// TestInspect: the script reads the holder's token, its fence and the key's TTL, and the
// waiters whose entries have not expired, and changes nothing.
func TestInspect(t *testing.T) {
	f := newFixture(t, "inspect")
	seen, err := redisscript.Inspect(f.ctx, f.c, f.key, f.q)
	require.NoError(t, err)
	assert.Equal(t, redisscript.Seen{}, seen, "a free lock")

	fence := f.hold("h", holdTTL)
	f.queue("w1", redisscript.Wait{Life: time.Second, Try: 1, Grant: grantTTL})
	f.queue("w2", wait(1, grantTTL))
	f.advanceClock(2 * time.Second) // w1's entry is dead, not yet dropped

	seen, err = redisscript.Inspect(f.ctx, f.c, f.key, f.q)
	require.NoError(t, err)
	assert.Equal(t, "h", seen.Token)
	assert.Equal(t, fence, seen.Fence)
	assert.Positive(t, seen.PTTL)
	assert.LessOrEqual(t, seen.PTTL, holdTTL)
	assert.Equal(t, []string{"w2"}, seen.Waiters, "only live entries")
	assert.Equal(t, []string{"w1", "w2"}, f.list(), "inspect changes nothing")
}

// TestTokenCarriesOwner: a token carries its owner label, whatever the label's characters,
// and never a space (which ends a token in the key and in messages).
func TestTokenCarriesOwner(t *testing.T) {
	for _, owner := range []string{"pod-7f9c", "host/1234", "with space", "ünïcødé {x}", ""} {
		tok := redisscript.Token(owner)
		assert.NotContains(t, tok, " ", owner)
		assert.Equal(t, owner, redisscript.OwnerOf(tok), owner)
		assert.True(t, redisscript.SameOwner(tok, redisscript.Token(owner)), owner)
		assert.NotEqual(t, tok, redisscript.Token(owner), "fresh random bits every time")
	}
	assert.False(t, redisscript.SameOwner(redisscript.Token("a"), redisscript.Token("b")))
	assert.Empty(t, redisscript.OwnerOf("BARETOKEN"), "a token of an older process carries no label")
}

// TestRaiseStoresHoldFence: raising a quorum node behind the hold's fence raises the fence
// stored with the hold's key too, keeping its TTL, but never another token's or lowers one.
func TestRaiseStoresHoldFence(t *testing.T) {
	f := newFixture(t, "raise")
	fence := f.hold("h", holdTTL)
	require.NoError(t, redisscript.RaiseFence(f.ctx, f.c, f.fence, f.key, "other", fence+10))
	_, stored := f.value()
	assert.Equal(t, fence, stored, "another token's key is left alone")
	require.NoError(t, redisscript.RaiseFence(f.ctx, f.c, f.fence, f.key, "h", fence+10))
	_, stored = f.value()
	assert.Equal(t, fence+10, stored)
	assert.Positive(t, f.pttl(f.key), "the key keeps its TTL")
	assert.Equal(t, fence+10, f.fenceNow())
	require.NoError(t, redisscript.RaiseFence(f.ctx, f.c, f.fence, f.key, "h", fence+1))
	_, stored = f.value()
	assert.Equal(t, fence+10, stored, "never lowered")
}
