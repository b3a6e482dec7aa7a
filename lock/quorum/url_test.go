package quorum_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redistest"
	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/quorum"
)

// TestURLClientsHonourDeadlines: every node's client made from a URL has
// ContextTimeoutEnabled, so a stalled node's call ends at its node timeout.
func TestURLClientsHonourDeadlines(t *testing.T) {
	ms := []string{redistest.StartMini(t).Addr(), redistest.StartMini(t).Addr(), redistest.StartMini(t).Addr()}
	on, err := quorum.DeadlinesHonoured("redis+quorum://" + ms[0] + "," + ms[1] + "," + ms[2] + "/0")
	require.NoError(t, err)
	assert.Equal(t, []bool{true, true, true}, on)
}

func TestOpenURL(t *testing.T) {
	ms := []string{redistest.StartMini(t).Addr(), redistest.StartMini(t).Addr(), redistest.StartMini(t).Addr()}
	hosts := ms[0] + "," + ms[1] + "," + ms[2]
	good := []string{
		"redis+quorum://" + hosts,
		"redis+quorum://" + hosts + "/0",
		"redis+quorum://" + hosts + "/0?prefix=orders:&lease=5s&node_timeout=200ms",
		"redis+quorum://" + hosts + "/0?timeout=2s&blocking=forever&dial_timeout=1s&read_timeout=2s",
		"redis+quorum://" + ms[0], // one node is a quorum of one
	}
	for _, u := range good {
		b, err := lock.Open(context.Background(), u)
		if assert.NoError(t, err, u) {
			assert.NoError(t, b.Close())
		}
	}

	bad := []struct {
		url  string
		says []string
	}{
		{"redis+quorum://" + hosts + "?frobnicate=1", []string{"frobnicate"}},
		{"redis+quorum://" + hosts + "?lease=soon", []string{"lease", "soon"}},
		{"redis+quorum://" + hosts + "?lease=0s", []string{"lease"}},
		{"redis+quorum://" + hosts + "?lease=1ms", []string{"lease 1ms", "lock.MinLease"}},
		{"redis+quorum://" + hosts + "?timeout=1ns", []string{"timeout 1ns", "lock.MinTimeout"}},
		{"redis+quorum://" + hosts + "?node_timeout=-1s", []string{"node timeout"}},
		{"redis+quorum://" + hosts + "?prefix=a&prefix=b", []string{"prefix"}},
		{"redis+quorum://" + hosts + "?dial_timeout=banana", []string{"dial_timeout"}},
		{"redis+quorum://" + hosts + "/x", []string{"database"}},
		{"redis+quorum://" + ms[0] + "," + ms[0], []string{"twice"}},
		{"redis+quorum://" + ms[0] + ",," + ms[1], []string{"empty"}},
		{"redis+quorum:///0", []string{"no nodes"}},
		{"redis+quorum://user:s3cret@" + hosts + "?frobnicate=1", []string{"frobnicate"}},
		{"redis+quorum://user:s3cret@" + hosts + "/x?password=hunter2", []string{"database"}},
	}
	for _, c := range bad {
		_, err := lock.Open(context.Background(), c.url)
		if !assert.ErrorIs(t, err, lock.ErrInvalid, c.url) {
			continue
		}
		for _, s := range c.says {
			assert.Contains(t, err.Error(), s, c.url)
		}
		assert.NotContains(t, err.Error(), "s3cret", "a password in an error")
		assert.NotContains(t, err.Error(), "hunter2", "a password in an error")
	}
}

// TestOpenNeedsAMajority: Open fails, without the password, when fewer than a majority of
// the nodes answer, and works when a minority is down.
func TestOpenNeedsAMajority(t *testing.T) {
	m := redistest.StartMini(t).Addr()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := lock.Open(ctx, "redis+quorum://user:s3cret@127.0.0.1:1,127.0.0.1:2,"+m+"?dial_timeout=1s")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "majority")
	assert.NotContains(t, err.Error(), "s3cret")

	b, err := lock.Open(ctx, "redis+quorum://127.0.0.1:1,"+m+","+redistest.StartMini(t).Addr()+"?dial_timeout=1s")
	require.NoError(t, err)
	assert.NoError(t, b.Close())
}
