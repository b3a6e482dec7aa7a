package redistest_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/redis/redistest"
)

// invoicer is the service under test: it runs an invoice's job on one replica at a time.
// A replica that dies mid-job never releases its lock; the timeout frees it.
type invoicer struct{ locks lock.Backend }

// start takes the invoice's lock for at most a job's time, waiting up to wait for a
// replica that has it.
func (s invoicer) start(ctx context.Context, id string, wait time.Duration) (lock.Locker, error) {
	l, err := s.locks.NewLock("invoice:"+id, lock.WithTimeout(200*time.Millisecond), lock.WithBlocking(wait))
	if err != nil {
		return nil, err
	}
	if err := l.Acquire(ctx); err != nil {
		return nil, err
	}
	return l, nil
}

// A service's test on a Redis-shaped backend: a replica dies holding a lock with a timeout,
// its key expires as on redis-server, and another replica takes the lock over.
func Example() {
	t := &exampleTB{} // in a test: the *testing.T
	defer t.finish()
	ctx := context.Background()

	_, url := redistest.StartMiniredis(t)
	a, b := replica(ctx, url), replica(ctx, url)
	defer a.locks.Close()
	defer b.locks.Close()

	dead, err := a.start(ctx, "42", lock.NoWait)
	fmt.Println("replica a starts the job:", err)
	_, err = b.start(ctx, "42", lock.NoWait)
	fmt.Println("replica b is refused:", errors.Is(err, lock.ErrNotAcquired))

	// a never releases: b waits until the key expires.
	next, err := b.start(ctx, "42", 5*time.Second)
	if err != nil {
		fmt.Println("replica b cannot take over:", err)
		return
	}
	fmt.Println("replica b takes over")
	select {
	case <-dead.Lost():
		fmt.Println("replica a was told its hold was lost")
	default:
		fmt.Println("replica a still thinks it holds the lock")
	}
	fmt.Println("release:", next.Release(ctx))
	// Output:
	// replica a starts the job: <nil>
	// replica b is refused: true
	// replica b takes over
	// replica a was told its hold was lost
	// release: <nil>
}

// replica opens the backend one replica of the service would open from its configuration.
func replica(ctx context.Context, url string) invoicer {
	b, err := lock.Open(ctx, url)
	if err != nil {
		panic(err)
	}
	return invoicer{locks: b}
}
