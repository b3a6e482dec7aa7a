package quorum_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/alicebob/miniredis/v2"
	goredis "github.com/redis/go-redis/v9"

	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/quorum"
)

// A backend over three independent masters; a lock is held once a majority has it. The
// backend does not close the clients.
func ExampleNew() {
	var clients []goredis.UniversalClient
	var servers []*miniredis.Miniredis
	for i := 0; i < 3; i++ {
		srv, _ := miniredis.Run() // real, independent masters in production
		defer srv.Close()
		c := goredis.NewClient(&goredis.Options{Addr: srv.Addr(), ContextTimeoutEnabled: true})
		defer c.Close()
		servers, clients = append(servers, srv), append(clients, c)
	}
	b, err := quorum.New(clients, quorum.WithPrefix("orders:"))
	if err != nil {
		panic(err)
	}
	defer b.Close()

	ctx := context.Background()
	l, _ := b.NewLock("invoice:42")
	err = lock.Do(ctx, l, func(ctx context.Context) error {
		held := 0
		for _, s := range servers {
			if s.Exists("orders:{invoice:42}") {
				held++
			}
		}
		fmt.Println("held on a majority:", held >= 2)
		return nil
	})
	fmt.Println("done:", err)
	// Output:
	// held on a majority: true
	// done: <nil>
}

// lock.Open takes a comma-separated list of nodes; the nodes share the user, password, database
// and go-redis query keys.
func Example_open() {
	var hosts []string
	for i := 0; i < 3; i++ {
		srv, _ := miniredis.Run()
		defer srv.Close()
		hosts = append(hosts, srv.Addr())
	}
	b, err := lock.Open(context.Background(), "redis+quorum://"+strings.Join(hosts, ",")+"/0?prefix=orders:&lease=10s")
	if err != nil {
		panic(err)
	}
	defer b.Close()
	l, _ := b.NewLock("invoice:42", lock.WithBlocking(lock.NoWait))
	fmt.Println(l.Acquire(context.Background()), l.Release(context.Background()))
	// Output: <nil> <nil>
}
