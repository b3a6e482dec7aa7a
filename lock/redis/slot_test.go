package redis_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	redislock "github.com/batonlock/baton/lock/redis"
)

// TestKeySlot: the slots Redis's documentation gives for CLUSTER KEYSLOT, and its hash tag
// rules (the first "{...}" that is not empty picks the hashed part).
func TestKeySlot(t *testing.T) {
	for _, c := range []struct {
		key  string
		slot int
	}{
		{"somekey", 11058},
		{"foo{hash_tag}", 2515},
		{"hash_tag", 2515},
		{"foo", 12182},
		{"{user1000}.following", redislock.KeySlot("user1000")},
		{"foo{{bar}}zap", redislock.KeySlot("{bar")},
		{"", 0},
	} {
		assert.Equal(t, c.slot, redislock.KeySlot(c.key), c.key)
	}
	assert.NotEqual(t, redislock.KeySlot("foo{}{bar}"), redislock.KeySlot("bar"), "an empty tag hashes the whole key")
}
