package redis_test

import (
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redistest"
	redislock "github.com/batonlock/baton/lock/redis"
)

// TestNoMaxmemoryIsNotWarned: README says "maxmemory-policy noeviction (the default),
// or no maxmemory" is what a server needs; with maxmemory 0 (no limit) Redis never evicts,
// whatever the policy, yet an allkeys-lru server without maxmemory is warned about.
func TestNoMaxmemoryIsNotWarned(t *testing.T) {
	s := redistest.Start(t, "--maxmemory", "0", "--maxmemory-policy", "allkeys-lru")
	rec := &recorder{}
	b, err := redislock.New(newClient(t, s.Addr()), redislock.WithLogger(slog.New(rec)))
	require.NoError(t, err)
	require.NoError(t, b.Close())
	assert.Empty(t, rec.evictionWarnings(), "a server with no maxmemory cannot evict")
}
