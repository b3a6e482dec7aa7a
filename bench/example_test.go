package bench_test

import (
	"context"
	"fmt"

	"github.com/batonlock/baton/bench"
)

func ExampleTimeit() {
	ctx := context.Background()
	ping := func(context.Context) error { return nil }
	res, err := bench.Timeit(ctx, 200, ping, bench.WithConcurrency(8)).Await(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	// Times vary from run to run; the counts do not.
	fmt.Println(res.Times, "calls,", res.Errors, "errors, at most", res.Concurrency, "at once")
	fmt.Println(res.P50() <= res.P99() && res.P99() <= res.Max())
	// Output:
	// 200 calls, 0 errors, at most 8 at once
	// true
}
