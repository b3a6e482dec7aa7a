package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNoBaseline: -baseline=false leaves the baselines out, and with them the vs-base
// column, which nothing would fill.
func TestNoBaseline(t *testing.T) {
	code, out, stderr := runArgs(t, append(brief, "-baseline=false", "-scenarios", "fight,handoff,handoff2,fight8")...)
	require.Equal(t, exitOK, code, "stderr: %s", stderr)
	var got []string
	for _, r := range parseTable(t, out) {
		got = append(got, r.backend+" "+r.scenario)
		assert.Equal(t, "0", r.overlaps, "%s %s", r.backend, r.scenario)
	}
	assert.Equal(t, []string{
		"local fight", "local handoff",
		"miniredis fight", "miniredis handoff", "miniredis handoff2", "miniredis fight8",
	}, got, "handoff2 and fight8 only where a second backend exists")
	assert.NotContains(t, tableHeader(out), "vs-base")
	assert.NotContains(t, out, "\nvs-base:", "no legend for a column left out")
	assert.Regexp(t, `\n  miniredis +.*handoff p50 \S+;`, out, "no baseline, no ratio")
	assert.True(t, strings.HasPrefix(lastLine(out), "sound: "), lastLine(out))
}

// TestLocalURLHasNoPeer: a second local:// backend shares no locks with the first, so a
// local:// -url runs no handoff2 or fight8; before, its handoff2 counted every round as
// an overlap.
func TestLocalURLHasNoPeer(t *testing.T) {
	code, out, stderr := runArgs(t, append(brief, "-no-local", "-no-miniredis", "-baseline=false",
		"-url", "local://", "-scenarios", "handoff,handoff2,fight8,fight8-timed")...)
	require.Equal(t, exitOK, code, "stderr: %s", stderr)
	rows := parseTable(t, out)
	require.Len(t, rows, 1, out)
	assert.Equal(t, "handoff", rows[0].scenario)
	assert.Equal(t, "0", rows[0].overlaps)
}
