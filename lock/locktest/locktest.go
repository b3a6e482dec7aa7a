// Package locktest is the conformance suite that every lock backend runs, in the manner of
// gocloud's drivertest: the same behavioural tests, whatever the backend, so that swapping
// one backend for another never changes what a service sees.
//
// A backend's tests call Run with a function that opens a fresh Backend:
//
//	func TestConformance(t *testing.T) {
//		locktest.Run(t, func(t *testing.T) lock.Backend { return local.New(driver.DefaultOptions()) })
//	}
//
// The suite tests behaviour only, through the lock package's public contract. Lock names are
// unique per subtest, so backends that share a server (Redis) may be opened many times
// against one server. Run closes every backend it opens.
//
// Some tests open two backends and check what one sees of the other's locks (Close frees its
// holds for the others at once), so by default Run counts on every backend open returns
// sharing one store: one server (or set of nodes) and prefix. A backend whose instances are
// each a store of their own (local://) says so with Isolated, and those tests are skipped.
package locktest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
)

// Durations the suite uses. Expiry tests use short timeouts; everything that waits for an
// event gives it a generous bound so a loaded machine does not fail the suite.
const (
	shortTTL   = 150 * time.Millisecond
	quiet      = 100 * time.Millisecond // how long a test watches for something that must not happen
	eventually = 10 * time.Second
)

// Run runs the conformance suite. open must return a new, working Backend each time it is
// called; Run closes it when the subtest ends.
func Run(t *testing.T, open func(t *testing.T) lock.Backend, opts ...Option) {
	s := &suite{open: open}
	for _, o := range opts {
		o(s)
	}
	t.Run("InvalidInput", s.invalidInput)
	t.Run("Basics", s.basics)
	t.Run("ReleaseNotHeld", s.releaseNotHeld)
	t.Run("NoWait", s.noWait)
	t.Run("BlockFor", s.blockFor)
	t.Run("Forever", s.forever)
	t.Run("ContextCancelWhileWaiting", s.ctxCancel)
	t.Run("ContextDeadlineWhileWaiting", s.ctxDeadline)
	t.Run("ContextDoneBeforeAcquire", s.ctxDoneBefore)
	t.Run("GiveUpPassesWakeUpOn", s.giveUpPassesOn)
	t.Run("GiveUpRacingRelease", s.giveUpRacingRelease)
	t.Run("FIFO", s.fifo)
	t.Run("HandleIsAMutex", s.handleIsAMutex)
	t.Run("FencesGrow", s.fencesGrow)
	t.Run("MutualExclusionFight", s.fight)
	t.Run("TimeoutExpires", s.timeoutExpires)
	t.Run("ExpiryWakesWaiter", s.expiryWakesWaiter)
	t.Run("Extend", s.extend)
	t.Run("ExtendUntimed", s.extendUntimed)
	t.Run("StaleHandle", s.staleHandle)
	t.Run("DoReturnsFnError", s.doFnError)
	t.Run("DoReleasesOnPanic", s.doPanic)
	t.Run("DoCancelsOnLoss", s.doLoss)
	t.Run("DoReleasesWhenCtxEnds", s.doCtxEnds)
	t.Run("DoNotAcquired", s.doNotAcquired)
	t.Run("DoOnSharedHandle", s.doSharedHandle)
	t.Run("CloseWakesWaiters", s.closeWithWaiters)
	t.Run("CloseFreesHolds", s.closeFreesHolds)
	t.Run("ReleaseWithDoneContext", s.releaseDoneCtx)
	t.Run("AllInvalid", s.allInvalid)
	t.Run("AllBasics", s.allBasics)
	t.Run("AllNoDeadlock", s.allNoDeadlock)
	t.Run("AllPartialFailure", s.allPartialFailure)
	t.Run("AllLost", s.allLost)
}

// Option tells Run about the backend under test.
type Option func(*suite)

// Isolated says that every backend open returns is a store of its own, which no other
// backend sees (local.New): Run skips the tests that need two backends on one store.
func Isolated() Option { return func(s *suite) { s.isolated = true } }

type suite struct {
	open     func(t *testing.T) lock.Backend
	isolated bool // each backend is its own store
}

// backend opens a backend that is closed when t ends.
func (s *suite) backend(t *testing.T) lock.Backend {
	t.Helper()
	b := s.open(t)
	require.NotNil(t, b, "open returned a nil Backend")
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// name returns a lock name unique to this test and run.
func name(t *testing.T) string {
	var r [6]byte
	_, _ = rand.Read(r[:])
	n := strings.NewReplacer("{", "(", "}", ")").Replace(t.Name())
	if len(n) > 200 {
		n = n[len(n)-200:]
	}
	return "locktest:" + n + ":" + hex.EncodeToString(r[:])
}

// newLock makes a handle on name or fails the test.
func newLock(t *testing.T, b lock.Backend, name string, opts ...lock.Option) lock.Locker {
	t.Helper()
	l, err := b.NewLock(name, opts...)
	require.NoError(t, err)
	return l
}

// acquired makes a handle on name and acquires it.
func acquired(t *testing.T, b lock.Backend, name string, opts ...lock.Option) lock.Locker {
	t.Helper()
	l := newLock(t, b, name, opts...)
	require.NoError(t, l.Acquire(ctx(t)))
	return l
}

// ctx returns a context bounded by the suite's patience, cancelled when t ends.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*eventually)
	t.Cleanup(cancel)
	return c
}

// acquireAsync starts l.Acquire on a goroutine and returns its result channel.
func acquireAsync(c context.Context, l lock.Locker) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- l.Acquire(c) }()
	return ch
}

// result waits for an async result, failing the test if it takes longer than eventually.
func result(t *testing.T, ch <-chan error, what string) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(eventually):
		t.Fatalf("%s: no result after %v", what, eventually)
		return nil
	}
}

// pending asserts that no result arrives on ch within d.
func pending(t *testing.T, ch <-chan error, d time.Duration, what string) {
	t.Helper()
	select {
	case err := <-ch:
		t.Fatalf("%s: returned %v while it should still wait", what, err)
	case <-time.After(d):
	}
}

// closed waits until c is closed, failing the test after eventually.
func closed(t *testing.T, c <-chan struct{}, what string) {
	t.Helper()
	require.NotNil(t, c, "%s: Lost() returned nil for a hold", what)
	select {
	case <-c:
	case <-time.After(eventually):
		t.Fatalf("%s: not closed after %v", what, eventually)
	}
}

// stillOpen asserts that c stays open for d.
func stillOpen(t *testing.T, c <-chan struct{}, d time.Duration, what string) {
	t.Helper()
	select {
	case <-c:
		t.Fatalf("%s: closed while it should stay open", what)
	case <-time.After(d):
	}
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
