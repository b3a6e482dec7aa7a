package future_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/batonlock/baton/future"
)

func ExampleGo() {
	ctx := context.Background()
	f := future.Go(ctx, func(ctx context.Context) (string, error) {
		return strings.ToUpper("hello"), nil
	})
	v, err := f.Await(ctx)
	fmt.Println(v, err)
	// Output: HELLO <nil>
}

func ExampleFuture_Await_cancelled() {
	f, _, _ := future.NewPromise[int]() // nobody ever settles it
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := f.Await(ctx) // Await stops waiting; the future stays pending
	fmt.Println(err)
	_, _, settled := f.Peek()
	fmt.Println("settled:", settled)
	// Output:
	// context canceled
	// settled: false
}

func ExampleThen() {
	price := future.Resolved(1999)
	label := future.Then(price, func(_ context.Context, cents int) (string, error) {
		return fmt.Sprintf("$%d.%02d", cents/100, cents%100), nil
	})
	v, _ := label.Await(context.Background())
	fmt.Println(v)
	// Output: $19.99
}

func ExampleRecover() {
	cached := future.Rejected[string](errors.New("cache miss"))
	v, _ := future.Recover(cached, func(_ context.Context, err error) (string, error) {
		return "default", nil
	}).Await(context.Background())
	fmt.Println(v)
	// Output: default
}

func ExampleAll() {
	ctx := context.Background()
	square := func(n int) *future.Future[int] {
		return future.Go(ctx, func(context.Context) (int, error) { return n * n, nil })
	}
	v, err := future.All(ctx, square(1), square(2), square(3)).Await(ctx)
	fmt.Println(v, err)
	// Output: [1 4 9] <nil>
}

func ExampleAllMap() {
	ctx := context.Background()
	stock := map[string]*future.Future[int]{
		"apples":  future.Resolved(3),
		"pears":   future.Go(ctx, func(context.Context) (int, error) { return 5, nil }),
		"lemons":  future.Resolved(0),
		"oranges": future.Resolved(7),
	}
	counts, _ := future.AllMap(ctx, stock).Await(ctx)
	names := make([]string, 0, len(counts))
	for name := range counts {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Println(name, counts[name])
	}
	// Output:
	// apples 3
	// lemons 0
	// oranges 7
	// pears 5
}

func ExampleAny() {
	ctx := context.Background()
	primary := future.Rejected[string](errors.New("primary down"))
	replica := future.Resolved("from replica")
	v, err := future.Any(ctx, primary, replica).Await(ctx)
	fmt.Println(v, err)
	// Output: from replica <nil>
}

func ExampleGroup() {
	g := future.NewGroup[string](context.Background(), future.WithLimit(2))
	for _, name := range []string{"a", "b", "c"} {
		g.Go(func(context.Context) (string, error) { return name + name, nil })
	}
	v, err := g.Wait()
	fmt.Println(v, err)
	// Output: [aa bb cc] <nil>
}
