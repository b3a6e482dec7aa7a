package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
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

// parseTable checks the table's shape (a header, then rows, then a blank line) and returns
// its rows.
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
	assert.Equal(t, strings.Join(columns, " "), strings.Join(strings.Fields(lines[h]), " "))
	var rows []tableRow
	for _, l := range lines[h+1:] {
		if l == "" {
			break
		}
		f := strings.Fields(l)
		require.GreaterOrEqual(t, len(f), len(columns)-1, "short row %q", l)
		rows = append(rows, tableRow{backend: f[0], scenario: f[1], vsBase: f[4], overlaps: f[8], note: strings.Join(f[10:], " ")})
	}
	return rows
}

func TestDefaultBackends(t *testing.T) {
	code, out, stderr := runArgs(t, brief...)
	require.Equal(t, exitOK, code, "stderr: %s", stderr)
	assert.Empty(t, stderr, "not a terminal: no progress")
	rows := parseTable(t, out)
	var got []string
	for _, r := range rows {
		got = append(got, r.backend+" "+r.scenario)
		assert.Equal(t, "0", r.overlaps, "%s %s", r.backend, r.scenario)
		assert.Empty(t, r.note, "%s %s", r.backend, r.scenario)
	}
	var want []string
	for _, b := range []string{"local", "miniredis"} {
		for _, s := range scenarioNames {
			if s == "handoff2" && b == "local" {
				continue // in memory there is no second process to hand off to
			}
			want = append(want, b+" "+s)
		}
	}
	assert.Equal(t, want, got)
	t.Log("\n" + out)
}

func TestBaseline(t *testing.T) {
	code, out, stderr := runArgs(t, append(brief, "-baseline", "-scenarios", "fight,handoff,handoff2")...)
	require.Equal(t, exitOK, code, "stderr: %s", stderr)
	var got []string
	for _, r := range parseTable(t, out) {
		got = append(got, r.backend+" "+r.scenario)
		assert.Equal(t, "0", r.overlaps, "%s %s", r.backend, r.scenario)
		// Only a backend's throughput rows are compared with its baseline.
		compared := r.scenario == "fight" && (r.backend == "local" || r.backend == "miniredis")
		assert.Equal(t, compared, strings.HasSuffix(r.vsBase, "x"), "vs-base of %s %s: %q", r.backend, r.scenario, r.vsBase)
	}
	assert.Equal(t, []string{
		"local fight", "local handoff",
		"sync.Mutex fight", "sync.Mutex handoff",
		"miniredis fight", "miniredis handoff", "miniredis handoff2",
		"raw@miniredis fight", "raw@miniredis handoff", "raw@miniredis handoff2",
	}, got, "handoff2 only where a second backend exists")
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
	assert.Contains(t, stderr, "backend") // with -json -, the table goes to stderr
}

func TestJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.json")
	code, out, stderr := runArgs(t, append(brief, "-no-miniredis", "-json", path)...)
	require.Equal(t, exitOK, code, "stderr: %s", stderr)
	localRows := len(scenarioNames) - 1 // no handoff2: in memory there is no second process
	assert.Len(t, parseTable(t, out), localRows, "the table still goes to stdout")

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var rep map[string]any
	require.NoError(t, json.Unmarshal(data, &rep))
	for _, k := range []string{"go", "os", "arch", "cpus", "params", "interrupted", "results"} {
		assert.Contains(t, rep, k)
	}
	assert.Equal(t, false, rep["interrupted"])
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

// TestUsageErrors: bad flags and backends that cannot be opened get one line on stderr and
// exit code 2, and print no table.
func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string // in the line
	}{
		{"unknown flag", []string{"-bogus"}, "-bogus"},
		{"bad duration", []string{"-d", "fast"}, "-d"},
		{"zero duration", []string{"-d", "0s"}, "-d 0s"},
		{"negative workers", []string{"-workers", "-1"}, "-workers"},
		{"zero hold", []string{"-hold", "0"}, "-hold"},
		{"negative rounds", []string{"-rounds", "-3"}, "-rounds"},
		{"unknown scenario", []string{"-scenarios", "solo,nap"}, `"nap"`},
		{"no scenario", []string{"-scenarios", ","}, "no scenario"},
		{"argument", []string{"extra"}, `"extra"`},
		{"nothing to run", []string{"-no-local", "-no-miniredis"}, "nothing to measure"},
		{"json dir missing", []string{"-json", "/nonexistent/dir/out.json"}, "-json"},
		{"unknown scheme", []string{"-url", "mem://x"}, `unknown backend scheme "mem"`},
		{"malformed url", []string{"-url", "redis://%zz"}, "malformed"},
		{"unknown query key", []string{"-url", "redis://127.0.0.1:1/0?colour=red"}, "colour"},
		{"unreachable", []string{"-url", "redis://127.0.0.1:1/0"}, "redis://127.0.0.1:1/0"},
		{"unreachable with password", []string{"-url", "redis://user:hunter2@127.0.0.1:1/0"}, "redis://user:xxxxx@127.0.0.1:1/0"},
		{"password in query", []string{"-url", "redis://127.0.0.1:1/0?password=hunter2"}, "127.0.0.1:1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := runArgs(t, tc.args...)
			assert.Equal(t, exitUsage, code)
			assert.Empty(t, out)
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
			assert.True(t, strings.HasPrefix(stderr, "lockbench: "), stderr)
			assert.Contains(t, stderr, tc.want)
			assert.NotContains(t, stderr, "hunter2")
			assert.NotContains(t, stderr, "goroutine", "no stack trace")
		})
	}
}

func TestUnreachableSaysWhy(t *testing.T) {
	code, _, stderr := runArgs(t, "-url", "redis://127.0.0.1:1/0")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "cannot reach the server")
}

func TestHelp(t *testing.T) {
	code, out, stderr := runArgs(t, "-h")
	assert.Equal(t, exitOK, code)
	assert.Empty(t, out)
	assert.Contains(t, stderr, "usage: lockbench")
	assert.Contains(t, stderr, "-baseline")
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
	assert.Less(t, len(rows), 2*len(scenarioNames))
	last := rows[len(rows)-1]
	assert.Equal(t, "interrupted", last.note)
	for _, r := range rows {
		assert.Equal(t, "0", r.overlaps)
	}
}

// TestServerGone: a server that stops answering in the middle of the run fails the
// scenarios that need it (in the table, exit code 1) instead of hanging the run.
func TestServerGone(t *testing.T) {
	defer func(g time.Duration) { stepGrace = g }(stepGrace)
	stepGrace = 0 // each scenario gives up after 10×-d

	m := miniredis.RunT(t)
	time.AfterFunc(150*time.Millisecond, m.Close)
	code, out, stderr := runArgs(t, "-no-local", "-no-miniredis", "-url", "redis://"+m.Addr()+"/0",
		"-d", "100ms", "-scenarios", "solo,fight")
	assert.Equal(t, exitFailed, code, "stderr: %s", stderr)
	assert.Contains(t, stderr, "failed")
	rows := parseTable(t, out)
	require.Len(t, rows, 2)
	assert.Contains(t, rows[1].note, "error:")
	t.Log("\n" + out)
}
