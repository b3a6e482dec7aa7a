package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// brief keeps the runs of these tests short; they measure nothing.
var brief = []string{"-d", "50ms", "-rounds", "10", "-workers", "4", "-hold", "200us"}

func runArgs(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out, errb bytes.Buffer
	code = run(ctx, args, &out, &errb)
	return code, out.String(), errb.String()
}

// tableRow is one parsed line of the table.
type tableRow struct {
	backend, scenario, vsBase, overlaps, note string
}

// parseTable checks the table's shape (a header of known columns in their order, then
// rows, then a blank line) and returns its rows. A column left out reads as "".
func parseTable(t *testing.T, out string) []tableRow {
	t.Helper()
	lines := strings.Split(out, "\n")
	h := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "backend ") {
			h = i
			break
		}
	}
	require.GreaterOrEqual(t, h, 0, "no header in:\n%s", out)
	header := strings.Fields(lines[h])
	at := map[string]int{}
	for i, c := range header {
		at[c] = i
	}
	for _, c := range []string{"backend", "scenario", "ops", "overlaps"} {
		require.Contains(t, at, c, "header %q", lines[h])
	}
	var rows []tableRow
	for _, l := range lines[h+1:] {
		if l == "" {
			break
		}
		f := strings.Fields(l)
		cell := func(c string) string {
			i, ok := at[c]
			if !ok || i >= len(f) {
				return ""
			}
			if c == "note" {
				return strings.Join(f[i:], " ")
			}
			return f[i]
		}
		require.GreaterOrEqual(t, len(f), len(header)-1, "short row %q", l)
		rows = append(rows, tableRow{backend: cell("backend"), scenario: cell("scenario"),
			vsBase: cell("vs-base"), overlaps: cell("overlaps"), note: cell("note")})
	}
	return rows
}

// lastLine is the last line out holds.
func lastLine(out string) string {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	return lines[len(lines)-1]
}

// TestDefaultBackends: with no flags lockbench runs every scenario on local://, the
// embedded miniredis and their baselines, compares each with its baseline, leaves out the
// columns nothing fills, explains what it printed, and ends on the verdict.
func TestDefaultBackends(t *testing.T) {
	code, out, stderr := runArgs(t, brief...)
	require.Equal(t, exitOK, code, "stderr: %s", stderr)
	assert.Empty(t, stderr, "not a terminal: no progress")
	rows := parseTable(t, out)
	var got []string
	for _, r := range rows {
		got = append(got, r.backend+" "+r.scenario)
		assert.Equal(t, "0", r.overlaps, "%s %s", r.backend, r.scenario)
		assert.Equal(t, wantVsBase(r), r.vsBase != "-", "vs-base of %s %s: %q", r.backend, r.scenario, r.vsBase)
		// fights between backends are held up to sync.Mutex's, even raw's
		base := r.backend == "sync.Mutex" && wantVsBase(r) ||
			r.backend == "raw@miniredis" && wantVsBase(r) && !strings.HasPrefix(r.scenario, "fight8") ||
			r.backend == "semaphore.Weighted"
		assert.Equal(t, base, r.vsBase == "base", "vs-base of %s %s: %q", r.backend, r.scenario, r.vsBase)
	}
	var want []string
	for _, b := range []string{"local", "sync.Mutex", "miniredis", "raw@miniredis"} {
		for _, s := range scenarioNames {
			inMemory := b == "local" || b == "sync.Mutex"
			if inMemory && (s == "handoff2" || strings.HasSuffix(s, "-timed")) || b == "local" && s == "fight8" {
				continue // in memory there is no second process; a sync.Mutex has no timeout
			}
			if (s == "permits" || s == "permits8") && (b == "sync.Mutex" || b == "raw@miniredis") ||
				s == "permits8" && b == "local" {
				continue // a mutex and the raw recipe keep no permits; local:// has no second process
			}
			want = append(want, b+" "+s)
		}
	}
	want = append(want, "semaphore.Weighted permits") // the permits baseline runs nothing else
	assert.Equal(t, want, got)
	assert.NotContains(t, tableHeader(out), "note", "no column that no row fills")
	assertExplained(t, out)
	assert.Equal(t, "sound: 0 overlaps and no errors in 35 rows", lastLine(out))
	t.Log("\n" + out)
}

// assertExplained checks that a default run's output explains every column and scenario and
// gives local's and miniredis's figures that matter against their baselines.
func assertExplained(t *testing.T, out string) {
	t.Helper()
	for _, c := range strings.Fields(tableHeader(out)) {
		assert.Regexp(t, "\n"+regexp.QuoteMeta(c)+`: +\S`, out, "the legend explains column %s", c)
	}
	for _, s := range scenarioNames {
		if s == "permits8" {
			continue // no backend of a default run keeps permits across processes yet
		}
		assert.Regexp(t, "\n"+s+`: +\S`, out, "the legend explains scenario %s", s)
	}
	for _, b := range []string{"local", "miniredis"} {
		assert.Regexp(t, `\n  `+b+` +.*handoff p50 \S+ \(\d+\.\d\dx\)`, out, "%s: hand-off p50 against its baseline's", b)
		assert.Regexp(t, `\n  `+b+` +.*fight min/max \d\.\d\d, p99 \S+ \(\d+\.\d\dx\)`, out, "%s: fight fairness and p99", b)
	}
	assert.Regexp(t, `\n  miniredis +.*fight8-timed min/max \d\.\d\d, p99 \S+ \(\d+\.\d\dx\)`, out)
}

// wantVsBase reports whether a default run compares the row's ops/s with a baseline's, or
// compares other rows with it: every throughput row but handoff's and idle's, with fights
// between backends held up to sync.Mutex's fight8.
func wantVsBase(r tableRow) bool {
	switch r.scenario {
	case "solo", "wide", "fight", "fight8", "permits", "permits8":
		return true
	case "fight8-timed":
		return r.backend != "sync.Mutex"
	}
	return false
}

// tableHeader is the header line of the table in out.
func tableHeader(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "backend ") {
			return l
		}
	}
	return ""
}

// TestURL adds a Redis server by URL, with a password that must never be printed, and its
// raw baseline.
func TestURL(t *testing.T) {
	m := miniredis.RunT(t)
	m.RequireAuth("s3cr3t-pw")
	url := "redis://:s3cr3t-pw@" + m.Addr() + "/0?prefix=lb:"
	code, out, stderr := runArgs(t, append(brief, "-no-local", "-no-miniredis", "-baseline", "-scenarios", "solo", "-url", url, "-json", "-")...)
	require.Equal(t, exitOK, code, "stderr: %s", stderr)
	assert.NotContains(t, out+stderr, "s3cr3t-pw")
	var rep report
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.Len(t, rep.Results, 2)
	assert.Equal(t, "redis://:xxxxx@"+m.Addr()+"/0?prefix=lb:", rep.Results[0].Backend)
	assert.Equal(t, "raw@"+rep.Results[0].Backend, rep.Results[1].Backend)
	for _, r := range rep.Results {
		assert.Positive(t, r.Ops, r.Backend)
		assert.Empty(t, r.Error, r.Backend)
	}
	require.NotNil(t, rep.Results[0].VsBaseline, "the backend is compared with its raw baseline")
	assert.Positive(t, *rep.Results[0].VsBaseline)
	assert.Nil(t, rep.Results[1].VsBaseline, "a baseline is not compared with itself")
	assert.True(t, rep.Results[1].Baseline)
	assert.True(t, rep.Sound)
	assert.Contains(t, stderr, "backend") // with -json -, the table goes to stderr
}

func TestJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.json")
	code, out, stderr := runArgs(t, append(brief, "-no-miniredis", "-baseline=false", "-json", path)...)
	require.Equal(t, exitOK, code, "stderr: %s", stderr)
	localRows := len(scenarioNames) - 6 // no handoff2, fight8, the -timed ones, permits8: in memory there is no second process, no fleet
	assert.Len(t, parseTable(t, out), localRows, "the table still goes to stdout")

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var rep map[string]any
	require.NoError(t, json.Unmarshal(data, &rep))
	for _, k := range []string{"go", "os", "arch", "cpus", "params", "interrupted", "sound", "results"} {
		assert.Contains(t, rep, k)
	}
	assert.Equal(t, false, rep["interrupted"])
	assert.Equal(t, true, rep["sound"])
	assert.EqualValues(t, 50*time.Millisecond, rep["params"].(map[string]any)["duration_ns"])

	results := rep["results"].([]any)
	require.Len(t, results, localRows)
	byScenario := map[string]map[string]any{}
	for _, r := range results {
		r := r.(map[string]any)
		assert.Equal(t, "local", r["backend"])
		assert.EqualValues(t, 0, r["overlaps"])
		assert.NotContains(t, r, "error")
		byScenario[r["scenario"].(string)] = r
	}
	for _, s := range []string{"solo", "wide", "fight", "handoff"} {
		assert.Positive(t, byScenario[s]["ops"], s)
		assert.Positive(t, byScenario[s]["ops_per_sec"], s)
		assert.Positive(t, byScenario[s]["elapsed_ns"], s)
	}
	assert.EqualValues(t, 10, byScenario["handoff"]["ops"], "-rounds")
	for _, s := range []string{"fight", "handoff"} {
		assert.Contains(t, byScenario[s], "p50_ns", s)
		assert.Contains(t, byScenario[s], "p99_ns", s)
	}
	assert.Contains(t, byScenario["fight"], "min_max")
	assert.Contains(t, byScenario["idle"], "cpu")
	assert.NotContains(t, byScenario["solo"], "min_max")
}

// TestInterrupted cancels the run as Ctrl-C would: it stops soon, prints what it measured,
// and says so.
func TestInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	var out, errb bytes.Buffer
	start := time.Now()
	code := run(ctx, []string{"-d", "200ms", "-workers", "4"}, &out, &errb)
	assert.Less(t, time.Since(start), 20*time.Second, "stops soon after the cancel")
	assert.Equal(t, exitInterrupted, code)
	assert.Contains(t, errb.String(), "interrupted")
	rows := parseTable(t, out.String())
	require.NotEmpty(t, rows)
	assert.Less(t, len(rows), 4*len(scenarioNames))
	var notes []string
	for _, r := range rows {
		assert.Equal(t, "0", r.overlaps)
		notes = append(notes, r.note)
	}
	assert.Contains(t, notes, "interrupted", "the row Ctrl-C cut short says so")
	assert.Equal(t, "NOT SOUND: interrupted", lastLine(out.String()))
}

// TestServerGone: a server that stops answering in the middle of the run fails the
// scenarios that need it (in the table, exit code 1) instead of hanging the run.
func TestServerGone(t *testing.T) {
	defer func(g time.Duration) { stepGrace = g }(stepGrace)
	stepGrace = 0 // each scenario gives up after 10×-d

	m := miniredis.RunT(t)
	time.AfterFunc(150*time.Millisecond, m.Close)
	code, out, stderr := runArgs(t, "-no-local", "-no-miniredis", "-baseline=false", "-url", "redis://"+m.Addr()+"/0",
		"-d", "100ms", "-scenarios", "solo,fight")
	assert.Equal(t, exitFailed, code, "stderr: %s", stderr)
	assert.Contains(t, stderr, "failed")
	rows := parseTable(t, out)
	require.Len(t, rows, 2)
	assert.Contains(t, rows[1].note, "error:")
	assert.Contains(t, lastLine(out), "NOT SOUND: ")
	assert.Contains(t, lastLine(out), "fight: failed")
	t.Log("\n" + out)
}
