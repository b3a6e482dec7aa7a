package redis_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/bench/scenario"
	"github.com/batonlock/baton/internal/redistest"
	"github.com/batonlock/baton/lock"
)

// TestClusterKillOneMaster opens a backend on a three-master cluster through a
// redis+cluster:// URL, takes locks whose names land on every master, runs the fight
// scenario (no overlaps), then kills one master: the holds on its slots are reported lost,
// the holds on the other masters' slots are unaffected, and those masters still serve new
// holds.
func TestClusterKillOneMaster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster")
	}
	c := redistest.StartCluster(t, 3, "--cluster-require-full-coverage", "no", "--cluster-node-timeout", "1000")
	addrs := c.Addrs()
	ctx := testCtx(t)
	url := "redis+cluster://" + addrs[0] + "?addr=" + addrs[1] + "&addr=" + addrs[2] +
		"&prefix=kill:&lease=900ms&dial_timeout=500ms&max_retries=1"
	b, err := lock.Open(ctx, url)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })

	// Two names per master.
	cc := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: addrs, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = cc.Close() })
	byMaster := make(map[string][]string)
	for i := 0; len(byMaster) < len(addrs) || !twoEach(byMaster); i++ {
		require.Less(t, i, 1000, "names do not spread over the masters")
		n := fmt.Sprintf("n%d", i)
		node, err := cc.MasterForKey(ctx, "kill:{"+n+"}")
		require.NoError(t, err)
		if a := node.Options().Addr; len(byMaster[a]) < 2 {
			byMaster[a] = append(byMaster[a], n)
		}
	}

	stats, err := scenario.Fight(ctx, scenario.Backend("cluster", b), scenario.Params{Duration: 500 * time.Millisecond})
	require.NoError(t, err)
	assert.Zero(t, stats.Overlaps, "two holders at once")
	assert.Positive(t, stats.Ops)

	holds := make(map[string][]lock.Locker)
	for a, names := range byMaster {
		for _, n := range names {
			l := newLock(t, b, n)
			require.NoError(t, l.Acquire(ctx))
			holds[a] = append(holds[a], l)
		}
	}
	victim := c.Nodes[1]
	victim.Kill()

	for _, l := range holds[victim.Addr()] {
		waitClosed(t, l.Lost(), l.Name()+" on the killed master")
	}
	time.Sleep(1200 * time.Millisecond) // more than a lease: the others were renewed
	for a, ls := range holds {
		if a == victim.Addr() {
			continue
		}
		for _, l := range ls {
			select {
			case <-l.Lost():
				t.Errorf("%s on %s: lost, though its master lives", l.Name(), a)
			default:
			}
			assert.NoError(t, l.Release(ctx), l.Name())
			require.NoError(t, l.Acquire(ctx), "a live master serves new holds")
			require.NoError(t, l.Release(ctx))
		}
	}
	for _, l := range holds[victim.Addr()] {
		err := newLock(t, b, l.Name(), lock.WithBlocking(200*time.Millisecond)).Acquire(ctx)
		assert.ErrorIs(t, err, lock.ErrNotAcquired, "the killed master's slots cannot be locked")
		assert.False(t, strings.Contains(err.Error(), "context"), "not ambiguous: %v", err)
	}
}

func twoEach(m map[string][]string) bool {
	for _, ns := range m {
		if len(ns) < 2 {
			return false
		}
	}
	return true
}
