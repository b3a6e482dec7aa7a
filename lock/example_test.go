package lock_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/batonlock/baton/lock"
	_ "github.com/batonlock/baton/lock/local" // registers local://
)

// Open picks the backend from a URL: "local://" here, "redis://host:6379/0" in production.
func ExampleOpen() {
	ctx := context.Background()
	b, err := lock.Open(ctx, "local://?blocking=2s")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()

	_, err = lock.Open(ctx, "nosuch://host")
	fmt.Println(errors.Is(err, lock.ErrInvalid))
	// Output: true
}

func ExampleBackend_NewLock() {
	ctx := context.Background()
	b, _ := lock.Open(ctx, "local://")
	defer b.Close()

	l, err := b.NewLock("invoice:42", lock.WithTimeout(30*time.Second), lock.WithBlocking(lock.NoWait))
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := l.Acquire(ctx); err != nil {
		fmt.Println(err)
		return
	}
	other, _ := b.NewLock("invoice:42", lock.WithBlocking(lock.NoWait))
	fmt.Println("second handle:", other.Acquire(ctx))
	fmt.Println("release:", l.Release(ctx))
	fmt.Println("release again:", l.Release(ctx))
	// Output:
	// second handle: lock "invoice:42": acquire: held elsewhere: lock: not acquired
	// release: <nil>
	// release again: lock "invoice:42": release: lock: not held
}

func ExampleDo() {
	ctx := context.Background()
	b, _ := lock.Open(ctx, "local://")
	defer b.Close()

	l, _ := b.NewLock("report:daily", lock.WithTimeout(time.Minute))
	err := lock.Do(ctx, l, func(ctx context.Context) error {
		// ctx is cancelled with cause lock.ErrLost if the hold is lost: stop writing then.
		fmt.Println("generating the report under fence", l.Fence())
		return nil
	})
	fmt.Println("done:", err)
	// Output:
	// generating the report under fence 1
	// done: <nil>
}

// counters is an Observer that counts events by kind, as a Prometheus CounterVec would.
type counters struct {
	mu sync.Mutex
	n  map[lock.EventKind]int
}

func (c *counters) Observe(e lock.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[e.Kind]++
}

func ExampleObserver() {
	ctx := context.Background()
	b, _ := lock.Open(ctx, "local://")
	defer b.Close()

	metrics := &counters{n: map[lock.EventKind]int{}}
	l, _ := b.NewLock("job", lock.WithObserver(metrics))
	busy, _ := b.NewLock("job", lock.WithObserver(metrics), lock.WithBlocking(lock.NoWait))
	_ = l.Acquire(ctx)
	_ = busy.Acquire(ctx) // not acquired: l holds it
	_ = l.Release(ctx)

	for _, k := range []lock.EventKind{lock.Acquired, lock.NotAcquired, lock.Released} {
		fmt.Println(k, metrics.n[k])
	}
	// Output:
	// acquired 1
	// not_acquired 1
	// released 1
}

func ExampleOpenConfig() {
	// Usually decoded from the service's own JSON or YAML configuration file.
	cfg := lock.Config{URL: "local://", Timeout: "30s", Blocking: "2s"}
	b, err := lock.OpenConfig(context.Background(), cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()

	_, err = lock.OpenConfig(context.Background(), lock.Config{URL: "local://", Timeout: "half a minute"})
	fmt.Println(err)
	// Output:
	// lock: invalid argument: query key "timeout": "half a minute" is not a duration such as 30s or 1m
}

func ExampleOpenEnv() {
	// BATON_LOCK_URL="local://" in a single process or a test; set it to
	// "redis://redis:6379/0?prefix=orders:" and the same code runs on Redis. Unset or empty,
	// OpenEnv refuses to guess (see the error below).
	os.Setenv(lock.DefaultEnv, "local://")
	b, err := lock.OpenEnv(context.Background(), lock.DefaultEnv)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()
	l, _ := b.NewLock("invoice:42")
	fmt.Println(l.Name())

	os.Unsetenv(lock.DefaultEnv)
	_, err = lock.OpenEnv(context.Background(), lock.DefaultEnv)
	fmt.Println(err)
	// Output:
	// invoice:42
	// lock: invalid argument: environment variable BATON_LOCK_URL is unset: set it to the lock backend's URL ("local://" for a single process, "redis://host:6379/0" for a fleet)
}
