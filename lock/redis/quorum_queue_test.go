package redis_test

import (
	"log/slog"
	"testing"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	redislock "github.com/batonlock/baton/lock/redis"
)

// TestWaitersQueueOnlyOnOneNode: the one Acquire loop queues a waiter on the server only
// where a release can grant it the key, on one node. A quorum's nodes keep no queue: a
// quorum waiter that believed it queued would wake to refresh an entry that does not exist
// (every grant TTL / 3) instead of sleeping until the release or the holder's TTL.
func TestWaitersQueueOnlyOnOneNode(t *testing.T) {
	quiet := redislock.WithLogger(slog.New(slog.DiscardHandler))
	one, err := redislock.New(newClient(t, startServer(t).Addr()), quiet)
	require.NoError(t, err)
	t.Cleanup(func() { _ = one.Close() })
	var cs []goredis.UniversalClient
	for range 3 {
		cs = append(cs, newClient(t, startServer(t).Addr()))
	}
	q, err := redislock.NewQuorum(cs, quiet)
	require.NoError(t, err)
	t.Cleanup(func() { _ = q.Close() })

	assert.True(t, redislock.WaiterQueues(one), "one node: waiters queue on the server")
	assert.False(t, redislock.WaiterQueues(q), "a quorum: no queue on its nodes")
}
