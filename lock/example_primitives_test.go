package lock_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/batonlock/baton/lock"
)

// At most 3 replicas call the payment provider at once: a counting semaphore.
func ExampleWithPermits() {
	ctx := context.Background()
	b, _ := lock.Open(ctx, "local://")
	defer b.Close()

	var holders []lock.Locker
	for range 3 {
		l, _ := b.NewLock("provider:acme", lock.WithPermits(3), lock.WithBlocking(lock.NoWait))
		fmt.Println("permit:", l.Acquire(ctx))
		holders = append(holders, l)
	}
	fourth, _ := b.NewLock("provider:acme", lock.WithPermits(3), lock.WithBlocking(lock.NoWait))
	fmt.Println("fourth:", errors.Is(fourth.Acquire(ctx), lock.ErrNotAcquired))
	fmt.Println("fences differ:", holders[0].Fence() != holders[1].Fence())

	other, _ := b.NewLock("provider:acme", lock.WithPermits(5))
	fmt.Println("another n:", errors.Is(other.Acquire(ctx), lock.ErrInvalid))
	for _, l := range holders {
		_ = l.Release(ctx)
	}
	// Output:
	// permit: <nil>
	// permit: <nil>
	// permit: <nil>
	// fourth: true
	// fences differ: true
	// another n: true
}

// Many readers of a cached report, one rebuilder.
func ExampleWithShared() {
	ctx := context.Background()
	b, _ := lock.Open(ctx, "local://")
	defer b.Close()

	r1, _ := b.NewLock("report:daily", lock.WithShared())
	r2, _ := b.NewLock("report:daily", lock.WithShared())
	fmt.Println("reader 1:", r1.Acquire(ctx))
	fmt.Println("reader 2:", r2.Acquire(ctx))

	rebuild, _ := b.NewLock("report:daily", lock.WithBlocking(lock.NoWait))
	fmt.Println("rebuilder beside readers:", errors.Is(rebuild.Acquire(ctx), lock.ErrNotAcquired))
	_ = r1.Release(ctx)
	_ = r2.Release(ctx)
	fmt.Println("rebuilder alone:", rebuild.Acquire(ctx))
	_ = rebuild.Release(ctx)
	// Output:
	// reader 1: <nil>
	// reader 2: <nil>
	// rebuilder beside readers: true
	// rebuilder alone: <nil>
}

// Move money between two accounts under both their locks. Whatever order the locks are
// given in, All takes them in name order, so two transfers in opposite directions never
// deadlock.
func ExampleAll() {
	ctx := context.Background()
	b, _ := lock.Open(ctx, "local://")
	defer b.Close()

	from, _ := b.NewLock("account:bob")
	to, _ := b.NewLock("account:alice")
	both := lock.All(from, to)
	err := lock.Do(ctx, both, func(ctx context.Context) error {
		fmt.Println("holding", both.Name())
		fmt.Println("fence of account:alice:", to.Fence()) // each store is fenced by its own lock
		return nil
	})
	fmt.Println("done:", err)
	// Output:
	// holding account:alice,account:bob
	// fence of account:alice: 1
	// done: <nil>
}

// Which pod holds invoice:42, and for how long.
func ExampleInspect() {
	ctx := context.Background()
	b, _ := lock.Open(ctx, "local://")
	defer b.Close()

	l, _ := b.NewLock("invoice:42", lock.WithOwner("billing-7f9c"), lock.WithTimeout(time.Minute))
	_ = l.Acquire(ctx)
	info, err := lock.Inspect(ctx, b, "invoice:42")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, h := range info.Holds {
		fmt.Printf("%s holds it, fence %d, under a minute left: %v\n", h.Owner, h.Fence, h.TTL > 0 && h.TTL <= time.Minute)
	}
	fmt.Println("waiters:", info.Waiters)
	_ = l.Release(ctx)
	// Output:
	// billing-7f9c holds it, fence 1, under a minute left: true
	// waiters: 0
}

// A Release that fails says whether the hold was lost, and why.
func ExampleLocker_release_lost() {
	ctx := context.Background()
	b, _ := lock.Open(ctx, "local://")
	defer b.Close()

	l, _ := b.NewLock("invoice:42", lock.WithTimeout(10*time.Millisecond))
	_ = l.Acquire(ctx)
	<-l.Lost() // the timeout ends
	err := l.Release(ctx)
	fmt.Println(errors.Is(err, lock.ErrNotHeld), errors.Is(err, lock.ErrLost))
	fmt.Println(err)
	// Output:
	// true true
	// lock "invoice:42": release: lock: not held (lock: hold lost: the timeout of 10ms ended)
}
