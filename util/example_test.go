package util_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/batonlock/baton/future"
	"github.com/batonlock/baton/util"
)

func ExampleTask() {
	upper := util.Task(func(_ context.Context, s string) (string, error) { return strings.ToUpper(s), nil })
	v, err := upper(context.Background(), "task").Await(context.Background())
	fmt.Println(v, err)
	// Output: TASK <nil>
}

func ExampleMaybeAsync() {
	ctx := context.Background()
	for _, v := range []any{1, future.Resolved(2), "three"} {
		f, err := util.MaybeAsync[int](v)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(f.Await(ctx))
	}
	// Output:
	// 1 <nil>
	// 2 <nil>
	// util: wrong type: got string, want int or *future.Future[int]
}

func ExampleChain() {
	ctx := context.Background()
	lookup := future.Rejected[string](errors.New("not in cache"))
	name := util.Chain[string, string](lookup,
		func(_ context.Context, v string) (any, error) { return "cached " + v, nil },
		func(ctx context.Context, err error) (any, error) {
			// Recover by fetching it: a future is awaited like a value.
			return future.Go(ctx, func(context.Context) (string, error) { return "fetched", nil }), nil
		})
	fmt.Println(name.Await(ctx))
	// Output: fetched <nil>
}

func ExampleMulti() {
	ctx := context.Background()
	items := map[string]any{
		"a": 1,
		"b": future.Resolved(2),
		"c": future.Rejected[int](errors.New("c is down")),
	}
	res, _ := util.Multi[int](ctx, items, false).Await(ctx)
	fmt.Println(res.Keys, res.Values)
	fmt.Println(res.Failures())
	// Output:
	// [a b c] [1 2 0]
	// [util: multi item c: c is down]
}

func ExampleAsyncWhile() {
	ctx := context.Background()
	ready := time.Now().Add(30 * time.Millisecond)
	notReady := func(context.Context) (bool, error) { return time.Now().Before(ready), nil }
	_, err := util.AsyncWhile(ctx, time.Second, notReady, util.LinearBackoff(10*time.Millisecond, 50*time.Millisecond)).Await(ctx)
	fmt.Println("ready:", err == nil)

	never := func(context.Context) (bool, error) { return true, nil }
	_, err = util.AsyncWhile(ctx, 20*time.Millisecond, never, nil).Await(ctx)
	fmt.Println(errors.Is(err, util.ErrTimeout))
	// Output:
	// ready: true
	// true
}

func ExampleRunInLoop() {
	var loop util.Loop // the zero Loop is ready; Close waits for its goroutine
	defer loop.Close()

	ctx := context.Background()
	counter := 0 // only ever touched on the loop
	fs := make([]*future.Future[int], 3)
	for i := range fs {
		fs[i] = util.RunInLoop(ctx, &loop, func(context.Context) (int, error) {
			counter++
			return counter, nil
		})
	}
	fmt.Println(future.All(ctx, fs...).Await(ctx))
	// Output: [1 2 3] <nil>
}
