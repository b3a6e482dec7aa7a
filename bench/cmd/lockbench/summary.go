package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// writeSummary prints the figures that matter, one line per backend, each latency with its
// ratio to the baseline row's in brackets, and last the verdict: whether the run was sound.
func writeSummary(w io.Writer, rep *report) {
	fmt.Fprintln(w, "\nfigures that matter (in brackets: over the baseline row's figure, lower is better):")
	at := rep.index()
	var order []string
	lines := map[string][]string{}
	for _, r := range rep.Results {
		if _, seen := lines[r.Backend]; !seen {
			order = append(order, r.Backend)
			lines[r.Backend] = nil
		}
		if f := figure(rep, at, r); f != "" {
			lines[r.Backend] = append(lines[r.Backend], f)
		}
	}
	width := 0
	for _, b := range order {
		width = max(width, len([]rune(b)))
	}
	for _, b := range order {
		if len(lines[b]) > 0 {
			fmt.Fprintf(w, "  %-*s  %s\n", width, b, strings.Join(lines[b], "; "))
		}
	}
	fmt.Fprintln(w, verdict(rep))
}

// figure is what matters of one row: a handoff's p50, a fight's fairness and p99 wait.
// Rows that failed or were cut short say nothing.
func figure(rep *report, at map[[2]string]int, r result) string {
	if !r.ok() || r.P50NS == nil {
		return ""
	}
	base := func(of func(result) int64, v int64) string {
		key, ok := rep.bases.base(r.Backend, r.Scenario)
		j, found := at[key]
		if !ok || !found || !rep.Results[j].ok() || of(rep.Results[j]) <= 0 {
			return ""
		}
		return " (" + trim(float64(v)/float64(of(rep.Results[j])), 2) + "x)"
	}
	p50 := func(x result) int64 { return *x.P50NS }
	p99 := func(x result) int64 { return *x.P99NS }
	switch {
	case isHandoff(r.Scenario):
		return fmt.Sprintf("%s p50 %s%s", r.Scenario, duration(time.Duration(*r.P50NS)), base(p50, *r.P50NS))
	case isFight(r.Scenario) && r.MinMax != nil:
		return fmt.Sprintf("%s min/max %s, p99 %s%s", r.Scenario, trim(*r.MinMax, 2),
			duration(time.Duration(*r.P99NS)), base(p99, *r.P99NS))
	}
	return ""
}

// verdict is the last line: a run is sound when no two holders ever overlapped, no scenario
// failed and the run was not interrupted; otherwise it says where it was not.
func verdict(rep *report) string {
	if rep.Sound {
		return fmt.Sprintf("sound: 0 overlaps and no errors in %d rows", len(rep.Results))
	}
	var why []string
	for _, r := range rep.Results {
		if r.Overlaps > 0 {
			why = append(why, fmt.Sprintf("%s %s: %d overlaps", r.Backend, r.Scenario, r.Overlaps))
		}
		if r.Error != "" {
			why = append(why, fmt.Sprintf("%s %s: failed", r.Backend, r.Scenario))
		}
	}
	if rep.Interrupted {
		why = append(why, "interrupted")
	}
	return "NOT SOUND: " + strings.Join(why, "; ")
}
