package bench_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/batonlock/baton/bench"
)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func TestPercentiles(t *testing.T) {
	lat := make([]time.Duration, 100)
	for i := range lat {
		lat[i] = ms(i + 1) // 1ms .. 100ms, sorted
	}
	r := &bench.Result{Times: 100, Taken: 2 * time.Second, Latencies: lat}
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{
		{-5, ms(1)}, {0, ms(1)}, {1, ms(1)}, {50, ms(50)}, {90, ms(90)},
		{99, ms(99)}, {99.5, ms(100)}, {100, ms(100)}, {150, ms(100)},
	} {
		assert.Equal(t, tc.want, r.Percentile(tc.p), "p%v", tc.p)
	}
	assert.Equal(t, ms(50), r.P50())
	assert.Equal(t, ms(90), r.P90())
	assert.Equal(t, ms(99), r.P99())
	assert.Equal(t, ms(100), r.Max())
	assert.Equal(t, ms(1), r.Min())
	assert.Equal(t, 50500*time.Microsecond, r.Mean())
	assert.InDelta(t, 50.0, r.Throughput(), 1e-9)
	assert.Equal(t, "100 calls in 2s (50.0/s), 0 errors; latency p50=50ms p90=90ms p99=99ms max=100ms", r.String())
}

func TestPercentilesOfOneCall(t *testing.T) {
	r := &bench.Result{Times: 1, Latencies: []time.Duration{ms(7)}}
	assert.Equal(t, ms(7), r.P50())
	assert.Equal(t, ms(7), r.P99())
	assert.Zero(t, r.Throughput(), "nothing timed")
}
