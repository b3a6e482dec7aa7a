package quorum_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
)

// TestNodesKeepOneCounter: the quorum runs the fence rule of one node on each of its
// nodes (lock/redis/PROTOCOL.md, "Fences"): distinct names leave only one fence counter
// per node, and with every counter deleted each name's next fence is still above its last.
func TestNodesKeepOneCounter(t *testing.T) {
	ss := startServers(t, 3)
	ctx := testCtx(t)
	cs := clients(t, addrs(ss))
	b := newBackend(t, cs)
	const names = 200
	fences := func() []uint64 {
		f := make([]uint64, names)
		for i := range f {
			l := newLock(t, b, "name:"+strconv.Itoa(i), lock.WithBlocking(lock.NoWait))
			require.NoError(t, l.Acquire(ctx))
			f[i] = l.Fence()
			require.NoError(t, l.Release(ctx))
		}
		return f
	}
	first := fences()
	for i, c := range cs {
		require.Eventually(t, func() bool { // Release returns once a majority is freed
			keys, err := c.Keys(ctx, "*").Result()
			return err == nil && len(keys) == 1 && keys[0] == "baton:fence:v2"
		}, eventually, 5*time.Millisecond, "node %d keeps more than its counter", i)
		require.NoError(t, c.Del(ctx, "baton:fence:v2").Err())
	}
	second := fences()
	for i := range first {
		assert.Greater(t, second[i], first[i], "name %d after the counters were deleted", i)
		assert.LessOrEqual(t, second[i], uint64(1)<<53)
	}
}
