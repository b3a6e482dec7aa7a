package redis

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redisscript"
	"github.com/batonlock/baton/internal/redistest"
)

// recheckWait bounds the waits of these tests; none asserts speed.
const recheckWait = 10 * time.Second

// recheckCluster starts a three-master cluster and returns a cluster client for the
// subscriber under test and one for the test itself.
func recheckCluster(t *testing.T) (sub, admin *goredis.ClusterClient, c *redistest.Cluster) {
	if testing.Short() {
		t.Skip("starts a cluster")
	}
	c = redistest.StartCluster(t, 3)
	open := func() *goredis.ClusterClient {
		cc := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: c.Addrs(), ContextTimeoutEnabled: true})
		t.Cleanup(func() { _ = cc.Close() })
		return cc
	}
	return open(), open(), c
}

// slotChannels returns n channels of locks whose names share one hash slot.
func slotChannels(t *testing.T, first string, n int) []string {
	ch := func(name string) string { return "baton:{" + name + "}:released" }
	slot := redisscript.Slot(ch(first))
	out := []string{ch(first)}
	for i := 0; len(out) < n; i++ {
		require.Less(t, i, 1<<20)
		if c := ch(fmt.Sprintf("%s-%d", first, i)); redisscript.Slot(c) == slot {
			out = append(out, c)
		}
	}
	return out
}

// errSubscriber is a subscriber on cc whose errors the test can read.
type errSubscriber struct {
	*subscriber
	errs chan error
}

func newErrSubscriber(t *testing.T, cc *goredis.ClusterClient) *errSubscriber {
	rs := &errSubscriber{errs: make(chan error, 100)}
	rs.subscriber = newSubscriber(cc, func(string) {}, func(string, string) {}, func(op string, err error) {
		select {
		case rs.errs <- fmt.Errorf("%s: %w", op, err):
		default:
		}
	})
	t.Cleanup(rs.close)
	return rs
}

// shardIdle reports whether the shard of channel lingers with no channel.
func (s *subscriber) shardIdle(channel string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.shards[int(redisscript.Slot(channel))]
	return sh != nil && sh.idle
}

func waitConfirmed(t *testing.T, c <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(recheckWait):
		t.Fatalf("%s: the subscription is not confirmed after %v", what, recheckWait)
	}
}

// TestClusterShardReopensAfterFailedRecheck: a channel comes back to a slot's idle
// connection while the slot's node cannot be asked (here: its EXISTS is refused for a
// while; the same happens when the node does not answer for writeWait). conn closes the
// idle connection and fails to find the slot's master. Once the node answers again, the
// next channel of the slot must be subscribed on a new connection: the closed PubSub stayed
// the shard's connection, and every later subscription on the slot was written to it
// ("redis: client is closed") and never confirmed, for as long as the shard was in use.
func TestClusterShardReopensAfterFailedRecheck(t *testing.T) {
	cc, admin, _ := recheckCluster(t)
	chs := slotChannels(t, "closedps", 3)
	s := newErrSubscriber(t, cc)

	// The slot's connection is opened, then lingers with no channel.
	waitConfirmed(t, s.acquire(chs[0], "a"), "first channel")
	s.release(chs[0])
	require.Eventually(t, func() bool { return s.shardIdle(chs[0]) }, recheckWait, time.Millisecond, "the shard lingers")

	// The masters refuse EXISTS for a while: the idle connection cannot be checked.
	acl := func(rule string) {
		require.NoError(t, admin.ForEachMaster(context.Background(), func(ctx context.Context, c *goredis.Client) error {
			return c.Do(ctx, "ACL", "SETUSER", "default", rule).Err()
		}))
	}
	acl("-exists")
	t.Cleanup(func() { acl("+exists") })
	s.acquire(chs[1], "b") // keeps the shard in use
	select {
	case err := <-s.errs:
		t.Logf("expected failure while the node cannot be asked: %v", err)
	case <-time.After(2 * writeWait):
		t.Fatal("the subscription did not fail")
	}
	acl("+exists")

	// The node answers again: a new channel of the slot must be subscribed.
	confirmed := s.acquire(chs[2], "c")
	select {
	case <-confirmed:
	case <-time.After(recheckWait):
		var errs []string
		for len(s.errs) > 0 {
			errs = append(errs, (<-s.errs).Error())
		}
		t.Fatalf("a channel acquired after the node recovered is never confirmed (errors: %s)", strings.Join(errs, "; "))
	}
}
