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

// writeTable prints rep as a table: a line about the run, a header, one line per row, and a
// legend. Cells a scenario does not measure show "-".
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
	fmt.Fprintf(w, "lockbench: %s %s/%s, %d CPUs; -d %v, -workers %s, -hold %v, -rounds %s\n\n",
		rep.Go, rep.OS, rep.Arch, rep.CPUs, time.Duration(p.DurationNS), workers, time.Duration(p.HoldNS), rounds)

	cells := [][]string{columns}
	for _, r := range rep.Results {
		cells = append(cells, rowCells(r))
	}
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
			case i == len(line)-1: // the note: no padding after it
				b.WriteString(c)
			case i < 2:
				b.WriteString(c + pad + "  ")
			default:
				b.WriteString(pad + c + "  ")
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	fmt.Fprint(w, legend)
}

const legend = `
ops/s: lock+unlock cycles (solo, wide), critical sections (fight), handoffs (handoff).
vs-base: ops/s over the baseline's (-baseline): sync.Mutex for local, raw go-redis for Redis.
p50/p99: fight, the wait for the lock; handoff, from A's release to B holding the lock;
  handoff2, the same with B on a second backend: another process, as far as Redis can tell.
min/max: fight, sections of the least served worker / the most served (1 = fair).
overlaps: two holders at once (must be 0).
cpu: idle, CPU-seconds the process burnt per second while its waiters (ops) waited.
`

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
	return []string{
		r.Backend,
		r.Scenario,
		strconv.Itoa(r.Ops),
		dash(r.Scenario != "idle", func() string { return trim(r.OpsPerSec, 0) }),
		dash(r.VsBaseline != nil, func() string { return trim(*r.VsBaseline, 2) + "x" }),
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
