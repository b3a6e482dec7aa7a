package redis_test

import (
	"context"
	"fmt"

	"github.com/alicebob/miniredis/v2"
	goredis "github.com/redis/go-redis/v9"

	"github.com/batonlock/baton/lock"
	redislock "github.com/batonlock/baton/lock/redis"
)

// A backend over a go-redis client that the service already has. The backend does not
// close the client.
func ExampleNew() {
	srv, _ := miniredis.Run() // a real server in production
	defer srv.Close()
	client := goredis.NewClient(&goredis.Options{Addr: srv.Addr(), ContextTimeoutEnabled: true})
	defer client.Close()

	b, err := redislock.New(client, redislock.WithPrefix("orders:"))
	if err != nil {
		panic(err)
	}
	defer b.Close()

	ctx := context.Background()
	l, _ := b.NewLock("invoice:42")
	err = lock.Do(ctx, l, func(ctx context.Context) error {
		// ctx is cancelled, with cause lock.ErrLost, if the hold is lost.
		fmt.Println("held; fence > 0:", l.Fence() > 0, "; key:", srv.Exists("orders:{invoice:42}"))
		return nil
	})
	fmt.Println("done:", err, "; key:", srv.Exists("orders:{invoice:42}"))
	// Output:
	// held; fence > 0: true ; key: true
	// done: <nil> ; key: false
}

// A backend from a configuration URL: importing the package registers redis://, rediss://
// and unix://. Baton's own query keys are prefix and lease, plus timeout and blocking,
// which every backend takes; the rest are go-redis options.
func ExampleNew_url() {
	srv, _ := miniredis.Run()
	defer srv.Close()
	ctx := context.Background()

	b, err := lock.Open(ctx, "redis://"+srv.Addr()+"/0?prefix=svc:&lease=10s&blocking=0s&dial_timeout=2s")
	if err != nil {
		panic(err)
	}
	defer b.Close()
	first, _ := b.NewLock("report")
	second, _ := b.NewLock("report")
	fmt.Println(first.Acquire(ctx))
	fmt.Println(second.Acquire(ctx)) // blocking=0s: try once
	fmt.Println(first.Release(ctx))

	_, err = lock.Open(ctx, "redis://:secret@redis.internal:6379/0?colour=blue")
	fmt.Println(err)
	// Output:
	// <nil>
	// lock "report": acquire: held elsewhere: lock: not acquired
	// <nil>
	// lock: invalid argument: backend URL "redis://:xxxxx@redis.internal:6379/0?colour=blue": unknown query key "colour" (known: blocking, lease, prefix, timeout, the options of go-redis's ParseURL)
}
