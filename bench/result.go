package bench

import (
	"fmt"
	"math"
	"time"
)

// Result is what a run measured.
type Result struct {
	// Times is how many calls were made.
	Times int
	// Concurrency is how many calls ran at once at most.
	Concurrency int
	// Taken is the wall time from the start of the first call to the end of the last.
	Taken time.Duration
	// Errors is how many calls failed (returned an error or panicked).
	Errors int
	// Err is the first error seen, nil if none: enough to tell why calls failed.
	Err error
	// Latencies holds the duration of every call, sorted from fastest to slowest.
	Latencies []time.Duration
}

// Throughput returns the calls made per second of Taken (0 when nothing was timed).
func (r *Result) Throughput() float64 {
	if r.Taken <= 0 {
		return 0
	}
	return float64(r.Times) / r.Taken.Seconds()
}

// Percentile returns the latency below or at which p percent of the calls finished (the
// nearest-rank method: Percentile(50) is the median, Percentile(100) the slowest). p is
// clamped to [0, 100]; a Result with no calls returns 0.
func (r *Result) Percentile(p float64) time.Duration {
	n := len(r.Latencies)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(math.Max(0, math.Min(p, 100)) / 100 * float64(n)))
	return r.Latencies[max(rank-1, 0)]
}

// P50 returns the median latency.
func (r *Result) P50() time.Duration { return r.Percentile(50) }

// P90 returns the latency that 90% of the calls beat or matched.
func (r *Result) P90() time.Duration { return r.Percentile(90) }

// P99 returns the latency that 99% of the calls beat or matched.
func (r *Result) P99() time.Duration { return r.Percentile(99) }

// Max returns the slowest call's latency.
func (r *Result) Max() time.Duration { return r.Percentile(100) }

// Min returns the fastest call's latency.
func (r *Result) Min() time.Duration { return r.Percentile(0) }

// Mean returns the average latency.
func (r *Result) Mean() time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	var sum time.Duration
	for _, d := range r.Latencies {
		sum += d
	}
	return sum / time.Duration(len(r.Latencies))
}

// String summarises the run on one line.
func (r *Result) String() string {
	return fmt.Sprintf("%d calls in %v (%.1f/s), %d errors; latency p50=%v p90=%v p99=%v max=%v",
		r.Times, r.Taken.Round(time.Microsecond), r.Throughput(), r.Errors,
		r.P50(), r.P90(), r.P99(), r.Max())
}
