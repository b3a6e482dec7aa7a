package quorum_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redistest"
	"github.com/batonlock/baton/lock"
)

// warnings is a slog.Handler that keeps the node of each eviction warning.
type warnings struct {
	mu    sync.Mutex
	nodes []string
}

func (w *warnings) Enabled(context.Context, slog.Level) bool { return true }
func (w *warnings) Handle(_ context.Context, rec slog.Record) error {
	var node, policy string
	rec.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "node":
			node = a.Value.String()
		case "maxmemory-policy":
			policy = a.Value.String()
		}
		return true
	})
	if rec.Level == slog.LevelWarn && policy != "" {
		w.mu.Lock()
		w.nodes = append(w.nodes, node)
		w.mu.Unlock()
	}
	return nil
}
func (w *warnings) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w *warnings) WithGroup(string) slog.Handler      { return w }

// TestEvictingNodesAreWarnedOnce: at Open every quorum node whose maxmemory-policy evicts
// keys gets one warning (the third, noeviction, none).
func TestEvictingNodesAreWarnedOnce(t *testing.T) {
	evicting := []*redistest.Server{
		redistest.Start(t, "--maxmemory", "100mb", "--maxmemory-policy", "allkeys-lru"),
		redistest.Start(t, "--maxmemory", "100mb", "--maxmemory-policy", "volatile-lfu"),
	}
	safe := redistest.Start(t)
	w := &warnings{}
	old := slog.Default()
	slog.SetDefault(slog.New(w))
	t.Cleanup(func() { slog.SetDefault(old) })

	hosts := strings.Join([]string{evicting[0].Addr(), evicting[1].Addr(), safe.Addr()}, ",")
	b, err := lock.Open(testCtx(t), "redis+quorum://"+hosts+"/0")
	require.NoError(t, err)
	require.NoError(t, b.Close())
	w.mu.Lock()
	defer w.mu.Unlock()
	assert.ElementsMatch(t, addrs(evicting), w.nodes)
}

// TestNodeACLWithoutEvalshaIsRefused: a node whose ACL forbids EVALSHA fails Open, naming
// the command, even though a majority of nodes would do.
func TestNodeACLWithoutEvalshaIsRefused(t *testing.T) {
	ss := startServers(t, 3)
	ctx := testCtx(t)
	for i, c := range clients(t, addrs(ss)) {
		rule := "+evalsha"
		if i == 2 {
			rule = "-evalsha"
		}
		require.NoError(t, c.Do(ctx, "ACL", "SETUSER", "alice", "on", ">s3cret", "~*", "&*", "+@all", rule).Err())
	}
	hosts := strings.Join(addrs(ss), ",")
	_, err := lock.Open(ctx, "redis+quorum://alice:s3cret@"+hosts+"/0")
	require.Error(t, err)
	assert.ErrorContains(t, err, "forbids EVALSHA")
	assert.ErrorContains(t, err, ss[2].Addr())
	assert.NotContains(t, err.Error(), "s3cret")
}
