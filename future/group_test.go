package future_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/future"
)

func TestGroupResultsInSubmissionOrder(t *testing.T) {
	g := future.NewGroup[int](context.Background())
	gates := make([]chan struct{}, 5)
	for i := range gates {
		gates[i] = make(chan struct{})
		g.Go(func(context.Context) (int, error) {
			<-gates[i]
			return i * i, nil
		})
	}
	for i := len(gates) - 1; i >= 0; i-- { // finish in reverse order
		close(gates[i])
	}
	v, err := g.Wait()
	require.NoError(t, err)
	assert.Equal(t, []int{0, 1, 4, 9, 16}, v)
}

func TestGroupLimit(t *testing.T) {
	const limit = 3
	g := future.NewGroup[int](context.Background(), future.WithLimit(limit))
	var running, most atomic.Int32
	for range 20 {
		g.Go(func(context.Context) (int, error) {
			n := running.Add(1)
			for {
				m := most.Load()
				if n <= m || most.CompareAndSwap(m, n) {
					break
				}
			}
			running.Add(-1)
			return 1, nil
		})
	}
	v, err := g.Wait()
	require.NoError(t, err)
	assert.Len(t, v, 20)
	assert.LessOrEqual(t, most.Load(), int32(limit))
}

func TestGroupFirstErrorCancelsOthers(t *testing.T) {
	g := future.NewGroup[int](context.Background())
	sibling := g.Go(func(ctx context.Context) (int, error) {
		<-ctx.Done()
		return 0, context.Cause(ctx)
	})
	g.Go(func(context.Context) (int, error) { return 0, errBoom })
	_, err := g.Wait()
	assert.ErrorIs(t, err, errBoom)
	_, err = await(t, sibling)
	assert.ErrorIs(t, err, errBoom, "the sibling's ctx was cancelled with the first error as cause")
}

func TestGroupLimitedGoStopsWhenCtxEnds(t *testing.T) {
	g := future.NewGroup[int](context.Background(), future.WithLimit(1))
	g.Go(func(context.Context) (int, error) { return 0, errBoom })
	// The failure cancels the group before it frees the slot: a Go waiting for that slot
	// gives up with ctx's error, whose cause is the failure, and never runs its function.
	late := g.Go(func(context.Context) (int, error) {
		t.Error("a function started after the group failed")
		return 0, nil
	})
	_, err := g.Wait()
	assert.ErrorIs(t, err, errBoom)
	_, err = await(t, late)
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorIs(t, err, errBoom)
}

func TestGroupPanic(t *testing.T) {
	var g future.Group[int] // the zero Group works
	g.Go(func(context.Context) (int, error) { return 1, nil })
	g.Go(func(context.Context) (int, error) { panic("group") })
	v, err := g.Wait()
	var pe *future.PanicError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "group", pe.Value)
	assert.Equal(t, []int{1, 0}, v)
}

func TestGroupEmpty(t *testing.T) {
	v, err := future.NewGroup[string](context.Background()).Wait()
	require.NoError(t, err)
	assert.Empty(t, v)
}
