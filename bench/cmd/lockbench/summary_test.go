package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/bench/scenario"
)

// summaryOf prints rows as writeTable would and returns the figures that matter: every
// line after their heading.
func summaryOf(t *testing.T, rows []row, bs bases) []string {
	t.Helper()
	c := config{duration: time.Second, hold: time.Millisecond, timeout: 30 * time.Second, rounds: 200}
	var out bytes.Buffer
	writeTable(&out, newReport(c, rows, bs, false))
	_, after, ok := strings.Cut(out.String(), "figures that matter")
	require.True(t, ok, out.String())
	lines := strings.Split(strings.TrimSpace(after), "\n")
	return lines[1:]
}

func stats(target, scen string, perSec float64, p50, p99 time.Duration, minMax float64) row {
	return row{Stats: scenario.Stats{Target: target, Scenario: scen, Ops: 100, Elapsed: time.Second,
		PerSec: perSec, P50: p50, P99: p99, MinMax: minMax}}
}

// TestSummaryRatios: hand-offs are held up to their baseline's p50 and fights to their
// baseline's p99; fights between backends to sync.Mutex's fight8.
func TestSummaryRatios(t *testing.T) {
	bs := bases{of: map[string]string{"r": "raw@r"}, mutex: "sync.Mutex"}
	lines := summaryOf(t, []row{
		stats("sync.Mutex", "fight8", 900, time.Millisecond, 10*time.Millisecond, 0.99),
		stats("r", "handoff", 400, 30*time.Microsecond, time.Millisecond, 0),
		stats("r", "fight", 800, 8*time.Millisecond, 20*time.Millisecond, 1),
		stats("r", "fight8-timed", 450, 2*time.Millisecond, 25*time.Millisecond, 0.5),
		stats("raw@r", "handoff", 400, 120*time.Microsecond, time.Millisecond, 0),
		stats("raw@r", "fight", 700, 8*time.Millisecond, 40*time.Millisecond, 0.8),
	}, bs)
	require.Len(t, lines, 4)
	assert.Equal(t, "  r           handoff p50 30µs (0.25x); fight min/max 1.00, p99 20.0ms (0.50x); fight8-timed min/max 0.50, p99 25.0ms (2.50x)", lines[1])
	assert.Equal(t, "sound: 0 overlaps and no errors in 6 rows", lines[3])
}

// TestVerdictNotSound: one overlap or one failed row makes the run unsound, and the last
// line says where.
func TestVerdictNotSound(t *testing.T) {
	overlap := stats("a", "fight", 900, time.Millisecond, 2*time.Millisecond, 1)
	overlap.Overlaps = 2
	failed := stats("b", "solo", 0, 0, 0, 0)
	failed.Err = errors.New("boom")
	lines := summaryOf(t, []row{overlap, stats("a", "solo", 10, 0, 0, 0), failed}, bases{})
	assert.Equal(t, "NOT SOUND: a fight: 2 overlaps; b solo: failed", lines[len(lines)-1])
}
