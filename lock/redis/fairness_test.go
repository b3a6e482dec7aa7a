package redis_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestProcessesTakeTurns: two backends (two processes, as far as Redis can tell), each with
// several goroutines fighting over one name. Holds are passed on inside a process at most a
// few times in a row, so neither backend starves the other.
func TestProcessesTakeTurns(t *testing.T) {
	s := startServer(t)
	ctx := testCtx(t)
	const perBackend, holds = 3, 300
	var total atomic.Int64
	var counts [2]atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		b := newBackend(t, newClient(t, s.Addr()))
		for g := 0; g < perBackend; g++ {
			l := newLock(t, b, "turns")
			wg.Add(1)
			go func() {
				defer wg.Done()
				for total.Add(1) <= holds {
					if !assert.NoError(t, l.Acquire(ctx)) {
						return
					}
					counts[i].Add(1)
					time.Sleep(100 * time.Microsecond)
					if !assert.NoError(t, l.Release(ctx)) {
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	a, b := counts[0].Load(), counts[1].Load()
	t.Logf("holds per backend: %d, %d", a, b)
	require.Equal(t, int64(holds), a+b)
	assert.Greater(t, min(a, b), int64(holds/50), "a backend was starved")
}
