package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"time"

	"github.com/batonlock/baton/bench/scenario"
)

// stepGrace is the part of stepLimit that does not grow with the run's size.
var stepGrace = 30 * time.Second

// row is one scenario on one target.
type row struct {
	scenario.Stats
	Err         error // why the scenario failed, nil if it did not
	Interrupted bool  // ctx ended while it ran: the numbers cover part of the run
}

// turns is how many alternating turns solo and wide give each target: a backend and its
// baseline then share the machine's quiet and busy moments, and their ratio is fair.
const turns = 4

// measure runs every scenario of c on every target until ctx ends. It runs one scenario on
// all targets before the next, so that rows to be compared are measured close in time, and
// solo and wide in slices that alternate between the targets. Rows come back target by
// target, in the order of ts and c.scenarios.
func measure(ctx context.Context, c config, ts []scenario.Target, prog *progress) []row {
	rows := make([][]row, len(ts))
	for _, name := range c.scenarios {
		n := 1
		if name == "solo" || name == "wide" {
			n = turns
		}
		parts := measureTurns(ctx, c, name, ts, n, prog)
		for i := range ts {
			if len(parts[i]) > 0 {
				rows[i] = append(rows[i], merge(parts[i]))
			}
		}
		if ctx.Err() != nil {
			break
		}
	}
	var out []row
	for _, rs := range rows {
		out = append(out, rs...)
	}
	return out
}

// measureTurns runs scenario name on every target of ts, n times in turn, and returns each
// target's slices. A target the scenario does not apply to gets none.
func measureTurns(ctx context.Context, c config, name string, ts []scenario.Target, n int, prog *progress) [][]row {
	parts := make([][]row, len(ts))
	for turn := 0; turn < n; turn++ {
		for i, t := range ts {
			if ctx.Err() != nil {
				break
			}
			if t.Only != nil && !slices.Contains(t.Only, name) {
				continue // a baseline of one scenario only (semaphore.Weighted)
			}
			if turn == 0 {
				prog.Start(t.Name, name)
			}
			r := measureOne(ctx, c, name, t, n)
			if notApplicable(r.Err) {
				continue
			}
			parts[i] = append(parts[i], r)
		}
	}
	return parts
}

// notApplicable reports whether a scenario does not apply to a target: in memory there is
// no second process to hand off to or fight, and a backend may keep no permits (yet).
func notApplicable(err error) bool {
	return errors.Is(err, scenario.ErrNoPeer) || errors.Is(err, scenario.ErrNoFleet) || errors.Is(err, scenario.ErrNoPermits)
}

// measureOne runs scenario name on t, for 1/turns of the duration c asks for. It collects
// the heap first, so that a target does not pay for the garbage of the one before it (an
// embedded miniredis makes plenty).
func measureOne(ctx context.Context, c config, name string, t scenario.Target, turns int) row {
	c.duration /= time.Duration(turns)
	runtime.GC()
	limit := stepLimit(c, name)
	sctx, cancel := context.WithTimeout(ctx, limit)
	s, err := runScenario(sctx, name, t, c)
	cancel()
	s.Scenario, s.Target = name, t.Name
	r := row{Stats: s}
	switch {
	case ctx.Err() != nil:
		r.Interrupted = true
	case errors.Is(err, context.DeadlineExceeded):
		r.Err = fmt.Errorf("did not finish within %v; is the server answering? (%w)", limit, err)
	default:
		r.Err = err
	}
	return r
}

// merge adds up the slices of one scenario on one target (solo and wide: operations,
// time and overlaps); a single slice is returned as it is.
func merge(parts []row) row {
	r := parts[0]
	for _, p := range parts[1:] {
		r.Ops += p.Ops
		r.Elapsed += p.Elapsed
		r.Overlaps += p.Overlaps
		r.Err = errors.Join(r.Err, p.Err)
		r.Interrupted = r.Interrupted || p.Interrupted
	}
	if r.Elapsed > 0 {
		r.PerSec = float64(r.Ops) / r.Elapsed.Seconds()
	}
	return r
}

// stepLimit is how long one scenario may take before lockbench gives up on it: an Acquire that
// waits for ever on a server that stopped answering must not hang the run. It is far above
// what a healthy run needs.
func stepLimit(c config, scenario string) time.Duration {
	limit := stepGrace + 10*c.duration
	if isHandoff(scenario) {
		limit += time.Duration(c.rounds) * 100 * time.Millisecond
	}
	return limit
}

// runScenario runs one scenario on t with the sizes c asks for.
func runScenario(ctx context.Context, name string, t scenario.Target, c config) (scenario.Stats, error) {
	p := scenario.Params{Duration: c.duration, Workers: c.workers}
	switch name {
	case "solo":
		return scenario.Solo(ctx, t, p)
	case "wide":
		return scenario.Wide(ctx, t, p)
	case "fight":
		p.Section = c.hold
		return scenario.Fight(ctx, t, p)
	case "fight8":
		p.Section = c.hold
		return scenario.FightFleet(ctx, t, p)
	case "fight8-timed":
		p.Section, p.Timeout = c.hold, c.timeout
		return scenario.FightFleet(ctx, t, p)
	case "handoff":
		p.Ops = c.rounds
		return scenario.Handoff(ctx, t, p)
	case "handoff2":
		p.Ops = c.rounds
		return scenario.HandoffPeer(ctx, t, p)
	case "handoff-timed", "handoff2-timed":
		p.Ops, p.Timeout = c.rounds, c.timeout
		return scenario.HandoffTimed(ctx, t, p, name == "handoff2-timed")
	case "idle":
		return scenario.Idle(ctx, t, p)
	case "permits":
		p.Section = c.hold
		return scenario.Permits(ctx, t, p)
	case "permits8":
		p.Section = c.hold
		return scenario.PermitsFleet(ctx, t, p)
	}
	return scenario.Stats{}, fmt.Errorf("unknown scenario %q", name) // parseFlags lets none through
}
