package redis_test

import (
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	redislock "github.com/batonlock/baton/lock/redis"
)

// TestQuorumNothingLeftBehind: once no lock is held or waited for, a Quorum keeps no
// per-name state, however many names it has served.
func TestQuorumNothingLeftBehind(t *testing.T) {
	var cs []goredis.UniversalClient
	for range 3 {
		cs = append(cs, newClient(t, startServer(t).Addr()))
	}
	b, err := redislock.NewQuorum(cs, redislock.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	ctx := testCtx(t)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		name := fmt.Sprintf("n%d", i%5)
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, err := b.NewLock(name)
			if !assert.NoError(t, err) {
				return
			}
			for j := 0; j < 5; j++ {
				if assert.NoError(t, l.Acquire(ctx)) {
					assert.NoError(t, l.Release(ctx))
				}
			}
		}()
	}
	wg.Wait()
	require.Eventually(t, func() bool {
		q, h, c := redislock.QuorumState(b)
		return q == 0 && h == 0 && c == 0
	}, 10*time.Second, 10*time.Millisecond, "per-name state left behind")
}
