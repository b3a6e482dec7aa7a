package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/batonlock/baton/bench/scenario"
)

// writeLegend explains the columns shown and the scenarios that ran, with this run's sizes.
func writeLegend(w io.Writer, rep *report, shown []bool) {
	fmt.Fprintln(w)
	for i, c := range columns {
		if shown[i] {
			fmt.Fprintf(w, "%-9s %s\n", c+":", columnLegend[c])
		}
	}
	fmt.Fprintln(w)
	ran := map[string]bool{}
	for _, r := range rep.Results {
		ran[r.Scenario] = true
	}
	for _, s := range scenarioNames {
		if ran[s] {
			fmt.Fprintf(w, "%-13s %s\n", s+":", scenarioLegend(s, rep.Params))
		}
	}
}

var columnLegend = map[string]string{
	"backend":  "where the locks live; sync.Mutex, semaphore.Weighted and raw@X are baselines (raw: go-redis SET NX PX retried at once, EVALSHA compare-and-delete)",
	"scenario": "what ran (below)",
	"ops":      "what the scenario counts (see below): cycles, sections, handoffs or waiters",
	"ops/s":    "ops per second of wall time",
	"vs-base":  "ops/s over the ops/s of the row marked base, in this run (higher is better): local over sync.Mutex, X over raw@X;\n          fight8 and fight8-timed over sync.Mutex's fight8 (the same fight in one process);\n          permits and permits8 over semaphore.Weighted's permits",
	"p50":      "median: in a fight, a worker's wait for the lock; in a handoff, from A's release to B holding the lock",
	"p99":      "99th percentile, as p50",
	"min/max":  "fights: sections of the least served worker over the most served (1 = fair)",
	"overlaps": "times two holders held the lock at once, in every scenario: must be 0",
	"cpu":      "idle: CPU-seconds the process burnt per second while its waiters waited (0: nobody polls)",
	"note":     "why a row is incomplete: the scenario failed (error) or Ctrl-C stopped it (interrupted)",
}

// scenarioLegend says what scenario s does and what its ops count, with p's sizes.
func scenarioLegend(s string, p params) string {
	workers := func(def int) string {
		if p.Workers > 0 {
			return fmt.Sprint(p.Workers)
		}
		return fmt.Sprint(def)
	}
	hold := time.Duration(p.HoldNS)
	switch s {
	case "solo":
		return "one goroutine locks and unlocks a lock of its own; ops: lock+unlock cycles"
	case "wide":
		return workers(64) + " goroutines, each on a lock of its own; ops: cycles"
	case "fight":
		return fmt.Sprintf("%s goroutines of one backend on one lock, each holding it %v a time; ops: critical sections", workers(8), hold)
	case "fight8":
		return fmt.Sprintf("%s workers on one lock, each through a backend of its own (as %[1]s processes), %v sections, leased holds (no timeout); ops: sections", workers(8), hold)
	case "fight8-timed":
		return fmt.Sprintf("fight8 with every hold taken WithTimeout(%v); ops: sections", time.Duration(p.TimeoutNS))
	case "handoff":
		return "A holds, B (same backend) waits, A releases; ops: handoffs (-rounds), their pace set by the 2ms B is given to start waiting"
	case "handoff2":
		return "handoff with B on a second backend of the same server: another process, as far as Redis can tell"
	case "handoff-timed", "handoff2-timed":
		return fmt.Sprintf("%s with both holds taken WithTimeout(%v), through backends of their own", strings.TrimSuffix(s, "-timed"), time.Duration(p.TimeoutNS))
	case "idle":
		return fmt.Sprintf("%s waiters wait -d on a held lock; ops: the waiters (no rate)", workers(8))
	case "permits":
		return fmt.Sprintf("%s goroutines of one backend on one lock WithPermits(%d), each holding a permit %v a time; ops: sections (overlap: more than %[2]d inside)", workers(8), scenario.PermitCount, hold)
	case "permits8":
		return fmt.Sprintf("permits with every worker on a backend of its own (as %s processes); backends that keep permits only; ops: sections", workers(8))
	}
	return "" // parseFlags lets no other name through
}
