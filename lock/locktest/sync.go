package locktest

import (
	"context"
	"testing"
	"time"

	"github.com/batonlock/baton/lock"
)

// waits is the suite's sync point on a waiter: it receives a value each time an Acquire of
// the lock it watches reports lock.Waiting, that is, has found the name held and taken its
// place in line. Tests wait for it instead of sleeping until a goroutine may have got there.
type waits chan struct{}

// watchWaits returns the option that makes a lock report its waits on the returned channel.
func watchWaits() (lock.Option, waits) {
	w := make(waits, 16)
	return lock.WithObserver(lock.ObserverFunc(func(e lock.Event) {
		if e.Kind == lock.Waiting {
			select {
			case w <- struct{}{}:
			default: // an Observer must not block; no test leaves 16 waits unread
			}
		}
	})), w
}

// started waits until the Acquire whose result comes on got has started to wait. It fails
// the test if that Acquire returns first, or after eventually.
func (w waits) started(t *testing.T, got <-chan error, what string) {
	t.Helper()
	select {
	case <-w:
	case err := <-got:
		t.Fatalf("%s: returned %v before it started to wait", what, err)
	case <-time.After(eventually):
		t.Fatalf("%s: did not start to wait within %v", what, eventually)
	}
}

// waiting makes a handle on name, starts its Acquire on a goroutine and returns once that
// Acquire waits in line, with the channel of its result.
func waiting(t *testing.T, c context.Context, b lock.Backend, name, what string, opts ...lock.Option) (lock.Locker, <-chan error) {
	t.Helper()
	o, w := watchWaits()
	l := newLock(t, b, name, append(opts, o)...)
	got := acquireAsync(c, l)
	w.started(t, got, what)
	return l, got
}
