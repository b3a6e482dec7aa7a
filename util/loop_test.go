package util_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/future"
	"github.com/batonlock/baton/util"
)

func TestLoopRunsInOrderOneAtATime(t *testing.T) {
	var l util.Loop
	var got []int // touched only on the loop: no lock needed, and -race checks that
	for i := range 100 {
		l.Go(func() { got = append(got, i) })
	}
	require.NoError(t, l.Close())
	want := make([]int, 100)
	for i := range want {
		want[i] = i
	}
	assert.Equal(t, want, got, "Close ran everything queued, in order")
}

func TestLoopClosed(t *testing.T) {
	var l util.Loop
	require.NoError(t, l.Close())
	require.NoError(t, l.Close(), "a second Close returns nil")
	assert.ErrorIs(t, l.Submit(func() {}), util.ErrClosed)
	assert.Panics(t, func() { l.Go(func() {}) })

	_, err := await(t, util.RunInLoop(context.Background(), &l, func(context.Context) (int, error) { return 1, nil }))
	assert.ErrorIs(t, err, util.ErrClosed)
}

func TestRunInLoop(t *testing.T) {
	var l util.Loop
	defer l.Close()
	v, err := await(t, util.RunInLoop(context.Background(), &l, func(context.Context) (string, error) { return "on the loop", nil }))
	require.NoError(t, err)
	assert.Equal(t, "on the loop", v)

	_, err = await(t, util.RunInLoop(context.Background(), &l, func(context.Context) (int, error) { panic("loop") }))
	var pe *future.PanicError
	require.ErrorAs(t, err, &pe, "a panic comes back as an error")
	v, err = await(t, util.RunInLoop(context.Background(), &l, func(context.Context) (string, error) { return "still running", nil }))
	require.NoError(t, err)
	assert.Equal(t, "still running", v)
}

func TestRunInLoopCancelAndCtx(t *testing.T) {
	var l util.Loop
	defer l.Close()
	started, release := make(chan struct{}), make(chan struct{})
	blocked := util.RunInLoop(context.Background(), &l, func(ctx context.Context) (int, error) {
		close(started)
		<-release
		return 0, nil
	})
	<-started

	// Queued behind the blocked function: Cancel and ctx reject at once, and fn is skipped.
	queued := util.RunInLoop(context.Background(), &l, func(context.Context) (int, error) {
		t.Error("a cancelled function ran")
		return 0, nil
	})
	queued.Cancel()
	_, err := await(t, queued)
	assert.ErrorIs(t, err, context.Canceled)

	ctx, cancel := context.WithCancel(context.Background())
	byCtx := util.RunInLoop(ctx, &l, func(context.Context) (int, error) {
		t.Error("a function whose ctx ended ran")
		return 0, nil
	})
	cancel()
	_, err = await(t, byCtx)
	assert.ErrorIs(t, err, context.Canceled)

	close(release)
	_, err = await(t, blocked)
	require.NoError(t, err)
}

func TestRunInLoopCancelStopsRunningFn(t *testing.T) {
	var l util.Loop
	defer l.Close()
	started := make(chan struct{})
	stopped := make(chan error, 1)
	f := util.RunInLoop(context.Background(), &l, func(ctx context.Context) (int, error) {
		close(started)
		<-ctx.Done()
		stopped <- ctx.Err()
		return 0, ctx.Err()
	})
	<-started
	f.Cancel()
	_, err := await(t, f)
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, <-stopped, context.Canceled, "fn's ctx was cancelled")
}

// goExecutor is an Executor without Submit: a goroutine per function, owned by its WaitGroup.
type goExecutor struct{ wg sync.WaitGroup }

func (e *goExecutor) Go(fn func()) { e.wg.Add(1); go func() { defer e.wg.Done(); fn() }() }

func TestRunInLoopAnyExecutor(t *testing.T) {
	var ex goExecutor
	defer ex.wg.Wait()
	v, err := await(t, util.RunInLoop(context.Background(), &ex, func(context.Context) (int, error) { return 9, nil }))
	require.NoError(t, err)
	assert.Equal(t, 9, v)

	_, err = await(t, util.RunInLoop[int](context.Background(), nil, nil))
	assert.ErrorIs(t, err, util.ErrWrongType)
}
