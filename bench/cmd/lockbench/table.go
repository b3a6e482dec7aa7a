package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// columns of the table; the first two are aligned left, the others right.
var columns = []string{"backend", "scenario", "ops", "ops/s", "vs-base", "p50", "p99", "min/max", "overlaps", "cpu", "note"}

// writeTable prints rep: a line about the run, the table, its legend, and last the figures
// that matter with the verdict on the run. Cells a scenario does not measure show "-"; a
// column that no row fills (note, on a run without errors) is left out.
func writeTable(w io.Writer, rep *report) {
	p := rep.Params
	workers := "scenario defaults"
	if p.Workers > 0 {
		workers = strconv.Itoa(p.Workers)
	}
	rounds := strconv.Itoa(p.Rounds)
	if p.Rounds == 0 {
		rounds = "for -d"
	}
	fmt.Fprintf(w, "lockbench: %s %s/%s, %d CPUs; -d %v, -workers %s, -hold %v, -timeout %v, -rounds %s\n\n",
		rep.Go, rep.OS, rep.Arch, rep.CPUs, time.Duration(p.DurationNS), workers, time.Duration(p.HoldNS),
		time.Duration(p.TimeoutNS), rounds)
	cells := [][]string{columns}
	for _, r := range rep.Results {
		cells = append(cells, rowCells(r))
	}
	shown := filledColumns(cells)
	printCells(w, cells, shown)
	writeLegend(w, rep, shown)
	writeSummary(w, rep)
}

// filledColumns reports, per column, whether any row has something in it.
func filledColumns(cells [][]string) []bool {
	shown := make([]bool, len(columns))
	for _, line := range cells[1:] {
		for i, c := range line {
			shown[i] = shown[i] || (c != "" && c != "-")
		}
	}
	return shown
}

// printCells prints the shown columns of cells, aligned: backend, scenario and note to the
// left, the figures to the right.
func printCells(w io.Writer, cells [][]string, shown []bool) {
	width := make([]int, len(columns))
	for _, line := range cells {
		for i, c := range line {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	for _, line := range cells {
		var b strings.Builder
		for i, c := range line {
			pad := strings.Repeat(" ", width[i]-len([]rune(c)))
			switch {
			case !shown[i]:
			case i < 2 || columns[i] == "note":
				b.WriteString(c + pad + "  ")
			default:
				b.WriteString(pad + c + "  ")
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

func rowCells(r result) []string {
	dash := func(ok bool, s func() string) string {
		if !ok {
			return "-"
		}
		return s()
	}
	note := ""
	switch {
	case r.Error != "":
		note = "error: " + oneLine(r.Error)
	case r.Interrupted:
		note = "interrupted"
	}
	vsBase := dash(r.VsBaseline != nil, func() string { return trim(*r.VsBaseline, 2) + "x" })
	if r.Baseline {
		vsBase = "base"
	}
	return []string{
		r.Backend,
		r.Scenario,
		strconv.Itoa(r.Ops),
		dash(r.Scenario != "idle", func() string { return trim(r.OpsPerSec, 0) }),
		vsBase,
		dash(r.P50NS != nil, func() string { return duration(time.Duration(*r.P50NS)) }),
		dash(r.P99NS != nil, func() string { return duration(time.Duration(*r.P99NS)) }),
		dash(r.MinMax != nil, func() string { return trim(*r.MinMax, 2) }),
		strconv.FormatInt(r.Overlaps, 10),
		dash(r.CPU != nil, func() string { return trim(*r.CPU, 3) }),
		note,
	}
}

// trim formats f with prec decimals.
func trim(f float64, prec int) string { return strconv.FormatFloat(f, 'f', prec, 64) }

// oneLine keeps an error's message on one table line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
