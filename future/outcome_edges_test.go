package future_test

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/future"
)

// childEnv names the test a re-executed test binary runs as the "child" of a crash
// test: a crash of the process cannot be observed from inside it.
const childEnv = "BATON_FUTURE_CHILD"

// runChild re-executes this test binary to run only test name with the child flag set, and
// returns its combined output and whether it exited successfully.
func runChild(t *testing.T, name string) (string, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*settleWithin)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^"+name+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+name)
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

func isChild(name string) bool { return os.Getenv(childEnv) == name }

// catch runs fn and returns what it panicked with, or nil.
func catch(fn func()) (r any) {
	defer func() { r = recover() }()
	fn()
	return nil
}

// Recover's pass-through of a value does any(v).(U), which panics when T is an interface
// type and the value is nil: a Future[any] or Future[error] that resolves with nil.
func TestRecoverPassesNilInterface(t *testing.T) {
	var got *future.Future[any]
	r := catch(func() {
		got = future.Recover(future.Resolved[any](nil), func(context.Context, error) (any, error) {
			return "recovered", nil
		})
	})
	require.Nil(t, r, "Recover of a future resolved with a nil interface panicked")
	v, err := await(t, got)
	require.NoError(t, err)
	assert.Nil(t, v)
}

// The same panic, when the source settles later, happens inside the source's settle: the
// producer's resolve panics, and the source is left settled (Peek) but with Done never
// closed, so every Await on it hangs.
func TestRecoverNilInterfaceSettlesSource(t *testing.T) {
	p, resolve, _ := future.NewPromise[error]()
	rec := future.Recover(p, func(context.Context, error) (error, error) { return nil, nil })
	r := catch(func() { resolve(nil) })
	assert.Nil(t, r, "resolve(nil) panicked inside a Recover stage's callback")
	_, _, settled := p.Peek()
	require.True(t, settled)
	select {
	case <-p.Done():
	case <-time.After(settleWithin):
		t.Fatal("source settled (Peek) but Done never closed: Await hangs forever")
	}
	_, err := await(t, rec)
	assert.NoError(t, err)
}

// When the source is a Go future the panic is in Go's goroutine, outside any recover: the
// process dies, although doc.go says a panic never crashes the process.
func TestRecoverNilInterfaceFromGo(t *testing.T) {
	const name = "TestRecoverNilInterfaceFromGo"
	if isChild(name) {
		f := future.Go(context.Background(), func(context.Context) (any, error) { return nil, nil })
		rec := future.Recover(f, func(context.Context, error) (any, error) { return nil, nil })
		_, err := await(t, rec)
		assert.NoError(t, err)
		return
	}
	out, ok := runChild(t, name)
	assert.True(t, ok, "the process crashed:\n%s", firstLines(out, 12))
}

// AfterFunc(nil) is accepted on a pending future, and the nil func is then started with `go`
// inside settle: "fatal error: go of nil func value", which no recover can stop, kills the
// process later, on whatever goroutine settles the future (the producer's resolve, or a Go
// future's goroutine), far from the faulty call. AfterFunc(nil) should panic at once (a
// clear, recoverable error at the call) or be ignored.
func TestAfterFuncNilIgnored(t *testing.T) {
	const name = "TestAfterFuncNilIgnored"
	if isChild(name) {
		p, resolve, _ := future.NewPromise[int]()
		_ = catch(func() { p.AfterFunc(nil) }) // panicking here, at the call, would be fine
		r := catch(func() { resolve(1) })
		assert.Nil(t, r, "resolve panicked because of an earlier AfterFunc(nil)")
		_, err := await(t, p)
		assert.NoError(t, err)
		return
	}
	out, ok := runChild(t, name)
	assert.True(t, ok, "the process crashed:\n%s", firstLines(out, 8))
}

// Group.Wait documents "the zero value for those that failed", but returns whatever the
// failed function returned alongside its error.
func TestGroupWaitZeroValueForFailed(t *testing.T) {
	g := future.NewGroup[int](context.Background())
	g.Go(func(context.Context) (int, error) { return 1, nil })
	g.Go(func(context.Context) (int, error) { return 7, errBoom })
	v, err := g.Wait()
	require.ErrorIs(t, err, errBoom)
	assert.Equal(t, []int{1, 0}, v, "a failed function's value should be the zero value")
}

// CancelOthers: "call Cancel on every source when it fails". AllWith does so when it fails on
// a nil future (gather.run cancels the rest); AllMap returns Rejected before it even reads
// the options, leaving the sources running.
func TestAllMapNilFutureCancelsOthers(t *testing.T) {
	b, cancelled := blocker(t)
	defer b.Cancel()
	f := future.AllMap(context.Background(), map[string]*future.Future[int]{"a": b, "b": nil},
		future.CancelOthers())
	_, err := await(t, f)
	require.ErrorIs(t, err, future.ErrNilFuture)
	select {
	case <-cancelled:
	case <-time.After(settleWithin):
		t.Fatal("AllMap failed with CancelOthers but did not cancel the other source")
	}
}

// Cancel on an AndThen stage whose callback is running only cancels the callback's ctx. If
// the callback then returns a future that does not follow that ctx, the stage goes on to
// wait for it, and the Cancel is lost: the result never settles, whereas a Cancel made a
// moment later (stage waiting on inner) rejects at once with context.Canceled.
func TestAndThenCancelWhileRunning(t *testing.T) {
	inner, _, rejectInner := future.NewPromise[int]() // long-lived, not tied to the stage
	defer rejectInner(errBoom)
	started := make(chan struct{})
	f := future.AndThen(future.Resolved(1), func(ctx context.Context, _ int) *future.Future[int] {
		close(started)
		<-ctx.Done()
		return inner
	})
	<-started
	f.Cancel()
	ctx, cancel := context.WithTimeout(context.Background(), settleWithin)
	defer cancel()
	_, err := f.Await(ctx)
	require.NotErrorIs(t, err, context.DeadlineExceeded, "Cancel was lost: the stage still waits on inner")
	assert.ErrorIs(t, err, context.Canceled)
}

func firstLines(s string, n int) string {
	lines := 0
	for i := range s {
		if s[i] == '\n' {
			lines++
			if lines == n {
				return s[:i]
			}
		}
	}
	return s
}
