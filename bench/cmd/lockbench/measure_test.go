package main

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/bench/scenario"
)

// TestMeasureInterleaves: every scenario runs on all targets before the next scenario,
// solo and wide in alternating slices whose operations and time add up to one row per
// target, and the rows come back target by target.
func TestMeasureInterleaves(t *testing.T) {
	var mu sync.Mutex
	var order []string
	traced := func(name string) scenario.Target {
		inner := scenario.SyncMutex()
		return scenario.Target{Name: name, New: func(n string) (scenario.Mutex, error) {
			mu.Lock()
			if len(order) == 0 || order[len(order)-1] != name {
				order = append(order, name)
			}
			mu.Unlock()
			return inner.New(n)
		}}
	}
	c := config{scenarios: []string{"solo", "fight"}, duration: 40 * time.Millisecond, hold: 100 * time.Microsecond}
	ts := []scenario.Target{traced("a"), traced("b")}
	prog := newProgress(&discard{}, len(ts)*len(c.scenarios), false)
	rows := measure(context.Background(), c, ts, prog)
	prog.Close()

	// solo: four alternating slices; fight: one run each.
	assert.Equal(t, []string{"a", "b", "a", "b", "a", "b", "a", "b", "a", "b"}, order)
	require.Len(t, rows, 4)
	var got []string
	for _, r := range rows {
		got = append(got, r.Target+" "+r.Scenario)
		require.NoError(t, r.Err)
		assert.Positive(t, r.Ops)
		assert.Zero(t, r.Overlaps)
		assert.InDelta(t, float64(r.Ops)/r.Elapsed.Seconds(), r.PerSec, 1e-6*r.PerSec)
	}
	assert.Equal(t, []string{"a solo", "a fight", "b solo", "b fight"}, got)
	assert.GreaterOrEqual(t, rows[0].Elapsed, 30*time.Millisecond, "the slices add up to the whole duration")
}

func TestMerge(t *testing.T) {
	boom := errors.New("boom")
	r := merge([]row{
		{Stats: scenario.Stats{Scenario: "solo", Target: "a", Ops: 100, Elapsed: time.Second, Overlaps: 1}},
		{Stats: scenario.Stats{Scenario: "solo", Target: "a", Ops: 300, Elapsed: time.Second}, Err: boom},
		{Stats: scenario.Stats{Scenario: "solo", Target: "a", Ops: 200, Elapsed: 2 * time.Second}, Interrupted: true},
	})
	assert.Equal(t, 600, r.Ops)
	assert.Equal(t, 4*time.Second, r.Elapsed)
	assert.InDelta(t, 150, r.PerSec, 1e-9)
	assert.Equal(t, int64(1), r.Overlaps)
	assert.ErrorIs(t, r.Err, boom)
	assert.True(t, r.Interrupted)
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
