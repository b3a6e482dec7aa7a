package main

import (
	"encoding/json"
	"io"
	"runtime"
	"time"
)

// report is a whole run: how it was sized, and its rows. It is what -json writes.
type report struct {
	Go          string   `json:"go"`
	OS          string   `json:"os"`
	Arch        string   `json:"arch"`
	CPUs        int      `json:"cpus"` // GOMAXPROCS
	Params      params   `json:"params"`
	Interrupted bool     `json:"interrupted"` // Ctrl-C: the results cover part of the run
	Sound       bool     `json:"sound"`       // no overlaps, no failed scenario, not interrupted
	Results     []result `json:"results"`

	bases bases // which rows are compared with which
}

type params struct {
	DurationNS int64    `json:"duration_ns"` // -d
	Workers    int      `json:"workers"`     // -workers (0: each scenario's default)
	HoldNS     int64    `json:"hold_ns"`     // -hold
	TimeoutNS  int64    `json:"timeout_ns"`  // -timeout
	Rounds     int      `json:"rounds"`      // -rounds
	Scenarios  []string `json:"scenarios"`
}

// result is one row of the table. Durations are in nanoseconds; fields that a scenario does
// not measure are left out.
type result struct {
	Backend     string   `json:"backend"`
	Scenario    string   `json:"scenario"`
	Ops         int      `json:"ops"`
	ElapsedNS   int64    `json:"elapsed_ns"`
	OpsPerSec   float64  `json:"ops_per_sec"`
	VsBaseline  *float64 `json:"vs_baseline,omitempty"` // solo, wide, fight, fight8*: OpsPerSec / the baseline row's
	Baseline    bool     `json:"baseline,omitempty"`    // other rows are compared with this one
	P50NS       *int64   `json:"p50_ns,omitempty"`      // fight, fight8*: wait; handoff, handoff2: release to next hold
	P99NS       *int64   `json:"p99_ns,omitempty"`      // as P50NS
	MinMax      *float64 `json:"min_max,omitempty"`     // fight, fight8*
	Overlaps    int64    `json:"overlaps"`
	CPU         *float64 `json:"cpu,omitempty"` // idle: CPU-seconds per second
	Error       string   `json:"error,omitempty"`
	Interrupted bool     `json:"interrupted,omitempty"`
}

// newReport puts rows in a report; bs says which rows are compared with which.
func newReport(c config, rows []row, bs bases, interrupted bool) *report {
	rep := &report{
		Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.GOMAXPROCS(0),
		Params: params{
			DurationNS: int64(c.duration), Workers: c.workers, HoldNS: int64(c.hold), TimeoutNS: int64(c.timeout),
			Rounds: c.rounds, Scenarios: c.scenarios,
		},
		Interrupted: interrupted,
		Results:     make([]result, 0, len(rows)),
	}
	for _, r := range rows {
		res := result{
			Backend: r.Target, Scenario: r.Scenario, Ops: r.Ops, ElapsedNS: int64(r.Elapsed),
			OpsPerSec: r.PerSec, Overlaps: r.Overlaps, Interrupted: r.Interrupted,
		}
		if r.hasLatency() {
			res.P50NS, res.P99NS = ptr(int64(r.P50)), ptr(int64(r.P99))
		}
		if isFight(r.Scenario) {
			res.MinMax = ptr(r.MinMax)
		}
		if r.Scenario == "idle" {
			res.CPU = ptr(r.CPU)
		}
		if r.Err != nil {
			res.Error = r.Err.Error()
		}
		rep.Results = append(rep.Results, res)
	}
	rep.bases = bs
	rep.compare(bs)
	rep.Sound = !interrupted && rep.failed() == 0 && rep.overlaps() == 0
	return rep
}

// compare sets VsBaseline on the throughput rows of every backend that has a baseline, and
// marks the rows they were compared with. handoff's rate is set by its settle time and
// idle's is none: their figures are held up to the baseline's in the summary instead.
func (rep *report) compare(bs bases) {
	at := rep.index()
	for i, r := range rep.Results {
		if !throughput(r.Scenario) || !r.ok() {
			continue
		}
		key, ok := bs.base(r.Backend, r.Scenario)
		j, found := at[key]
		if !ok || !found || !rep.Results[j].ok() || rep.Results[j].OpsPerSec <= 0 {
			continue
		}
		rep.Results[i].VsBaseline = ptr(r.OpsPerSec / rep.Results[j].OpsPerSec)
		rep.Results[j].Baseline = true
	}
}

// index maps (backend, scenario) to the position of its row.
func (rep *report) index() map[[2]string]int {
	at := make(map[[2]string]int, len(rep.Results))
	for i, r := range rep.Results {
		at[[2]string{r.Backend, r.Scenario}] = i
	}
	return at
}

// ok reports whether the row measured its whole run.
func (r result) ok() bool { return r.Error == "" && !r.Interrupted }

// throughput reports whether the scenario's ops/s is what it is compared by.
func throughput(scenario string) bool {
	return scenario == "solo" || scenario == "wide" || isFight(scenario)
}

func isHandoff(scenario string) bool {
	switch scenario {
	case "handoff", "handoff2", "handoff-timed", "handoff2-timed":
		return true
	}
	return false
}

func isFight(scenario string) bool {
	switch scenario {
	case "fight", "fight8", "fight8-timed", "permits", "permits8":
		return true
	}
	return false
}

// overlaps adds up the overlaps of every row.
func (rep *report) overlaps() int64 {
	var n int64
	for _, r := range rep.Results {
		n += r.Overlaps
	}
	return n
}

// failed counts the rows whose scenario failed.
func (rep *report) failed() int {
	n := 0
	for _, r := range rep.Results {
		if r.Error != "" {
			n++
		}
	}
	return n
}

// hasLatency reports whether the row's scenario measures p50 and p99.
func (r row) hasLatency() bool {
	return isFight(r.Scenario) || isHandoff(r.Scenario) || r.P50 > 0 || r.P99 > 0
}

func writeJSON(w io.Writer, rep *report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

func ptr[T any](v T) *T { return &v }

// duration formats d with three significant digits or so: 41µs, 1.25ms, 2.5s.
func duration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0"
	case d < 10*time.Microsecond:
		return trim(float64(d)/1e3, 2) + "µs"
	case d < time.Millisecond:
		return trim(float64(d)/1e3, 0) + "µs"
	case d < 10*time.Millisecond:
		return trim(float64(d)/1e6, 2) + "ms"
	case d < time.Second:
		return trim(float64(d)/1e6, 1) + "ms"
	}
	return trim(d.Seconds(), 2) + "s"
}
