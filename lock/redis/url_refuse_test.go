package redis_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
	redislock "github.com/batonlock/baton/lock/redis"
)

// TestClusterURLRefusesDatabase: a Cluster has only database 0 and go-redis's
// ParseClusterURL ignores the path, so redis+cluster://host:7000/3 silently locks in db 0
// (and /x, which is "invalid database" on every other scheme, passes).
func TestClusterURLRefusesDatabase(t *testing.T) {
	for _, raw := range []string{
		"redis+cluster://10.0.0.1:7000/3",
		"redis+cluster://10.0.0.1:7000/x",
		"rediss+cluster://10.0.0.1:7000/1/2",
	} {
		_, err := redislock.ParseClusterURL(raw)
		assert.ErrorIs(t, err, lock.ErrInvalid, "%s: the database is silently ignored", raw)
	}
}

// TestClusterURLRefusesReplicaRouting: the Sentinel URL refuses route_by_latency,
// route_randomly and replica_only ("locks are taken on the master"), but the Cluster URL
// takes read_only, route_by_latency and route_randomly, which send go-redis's read-only
// commands (EXISTS of Locked, EVALSHA_RO) to replicas.
func TestClusterURLRefusesReplicaRouting(t *testing.T) {
	for _, raw := range []string{
		"redis+cluster://10.0.0.1:7000?read_only=true",
		"redis+cluster://10.0.0.1:7000?route_by_latency=true",
		"redis+cluster://10.0.0.1:7000?route_randomly=true",
	} {
		co, err := redislock.ParseClusterURL(raw)
		if !assert.ErrorIs(t, err, lock.ErrInvalid, raw) {
			t.Logf("%s: ReadOnly=%v RouteByLatency=%v RouteRandomly=%v", raw, co.ReadOnly, co.RouteByLatency, co.RouteRandomly)
		}
	}
}

// TestOpaqueURLRefused: "redis:10.0.0.5:6379/0" (no "//") parses as an opaque URL
// with no host; go-redis then dials its default, localhost:6379, instead of refusing it.
// local:// refuses an opaque URL; redis:// does not.
func TestOpaqueURLRefused(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	b, err := lock.Open(ctx, "redis:127.0.0.1:1/0?dial_timeout=500ms")
	if err == nil {
		_ = b.Close()
	}
	require.Error(t, err)
	assert.ErrorIs(t, err, lock.ErrInvalid, "the host in an opaque URL is ignored: %v", err)
}
