// Package bench times a function: it calls it a given number of times, concurrently, and
// reports how long that took, how many calls failed, the throughput, and the latency
// distribution.
//
//	res, err := bench.Timeit(ctx, 1000, callService, bench.WithConcurrency(50)).Await(ctx)
//	fmt.Println(res) // 1000 calls in 1.2s (833.3/s), 0 errors; latency p50=55ms p90=80ms p99=120ms max=130ms
//
// The calls start all at once by default; WithConcurrency bounds how many run at the same
// time. The run itself is a future (package future): it can be awaited with a deadline,
// cancelled, or composed with others. The lockbench command (bench/cmd/lockbench) builds its
// lock scenarios (package bench/scenario) on this package.
package bench
