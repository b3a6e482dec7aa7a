package quorum_test

import (
	"context"
	"net"
	"time"

	"github.com/batonlock/baton/internal/redistest"
	"github.com/stretchr/testify/require"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/quorum"
)

// TestDuplicateNodeSpelledDifferently: parseURL refuses a node listed twice by
// comparing the host strings as written, so the same server written with and without its
// default port, or with the host in another case, passes: one server then counts twice
// towards the majority (2 of 3 with a single live server).
func TestDuplicateNodeSpelledDifferently(t *testing.T) {
	for _, raw := range []string{
		"redis+quorum://10.0.0.1:6379,10.0.0.1,10.0.0.2:6379",
		"redis+quorum://redis-a:6379,REDIS-A:6379,redis-b:6379",
	} {
		_, err := quorum.DeadlinesHonoured(raw)
		assert.ErrorIs(t, err, lock.ErrInvalid, "%s: one server listed twice is accepted", raw)
	}
}

// TestDuplicateNodeCountsOnce: with one live server written twice and one dead node,
// Open finds a "majority" and Acquire succeeds: the quorum survives losing 2 of its 3
// distinct nodes, which a quorum of three must not.
func TestDuplicateNodeCountsOnce(t *testing.T) {
	m := redistest.StartMini(t)
	_, port, _ := net.SplitHostPort(m.Addr())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	raw := "redis+quorum://localhost:" + port + ",LOCALHOST:" + port + ",127.0.0.1:1?node_timeout=300ms"
	b, err := lock.Open(ctx, raw)
	if err != nil {
		t.Logf("refused: %v", err)
		return
	}
	defer b.Close()
	l, err := b.NewLock("x")
	require.NoError(t, err)
	err = l.Acquire(ctx)
	if err == nil {
		_ = l.Release(ctx)
	}
	assert.Error(t, err, "a single live server gave a majority of three")
}
