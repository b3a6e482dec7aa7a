package redis_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// BenchmarkHandoffAcrossBackends measures the hand-off between two processes, as far as
// Redis can tell: A, on one backend, releases at t0; B, waiting on another backend with
// its own connections, holds at t1. B is woken by the published release (no polling) and
// takes the lock with one more round trip. It reports t1−t0 at p50 and p99.
//
//	go test -run '^$' -bench HandoffAcrossBackends -benchtime=300x ./lock/redis/
func BenchmarkHandoffAcrossBackends(b *testing.B) {
	s := startServer(b)
	ctx := context.Background()
	one := newBackend(b, newClient(b, s.Addr()))
	two := newBackend(b, newClient(b, s.Addr()))
	a, w := newLock(b, one, "handoff"), newLock(b, two, "handoff")
	gaps := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		require.NoError(b, a.Acquire(ctx))
		got := make(chan time.Time, 1)
		go func() {
			if err := w.Acquire(ctx); err != nil {
				got <- time.Time{}
				return
			}
			got <- time.Now()
		}()
		time.Sleep(2 * time.Millisecond) // B is asleep, subscribed
		t0 := time.Now()
		require.NoError(b, a.Release(ctx))
		t1 := <-got
		require.False(b, t1.IsZero(), "B's Acquire failed")
		gaps = append(gaps, t1.Sub(t0))
		require.NoError(b, w.Release(ctx))
	}
	b.StopTimer()
	slices.Sort(gaps)
	b.ReportMetric(float64(gaps[len(gaps)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(gaps[min(len(gaps)-1, len(gaps)*99/100)].Microseconds()), "p99-µs")
}
