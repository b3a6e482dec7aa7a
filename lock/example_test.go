package lock_test

import (
	"context"
	"errors"
	"fmt"
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
