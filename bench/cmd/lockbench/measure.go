package main

import (
	"context"
	"errors"
	"fmt"
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

// measure runs every scenario of c on every target, in order, until ctx ends.
func measure(ctx context.Context, c config, ts []scenario.Target, prog *progress) []row {
	var rows []row
	for _, t := range ts {
		for _, name := range c.scenarios {
			if ctx.Err() != nil {
				return rows
			}
			prog.Start(t.Name, name)
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
			rows = append(rows, r)
		}
	}
	return rows
}

// stepLimit is how long one scenario may take before lockbench gives up on it: an Acquire that
// waits for ever on a server that stopped answering must not hang the run. It is far above
// what a healthy run needs.
func stepLimit(c config, scenario string) time.Duration {
	limit := stepGrace + 10*c.duration
	if scenario == "handoff" {
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
	case "handoff":
		p.Ops = c.rounds
		return scenario.Handoff(ctx, t, p)
	case "idle":
		return scenario.Idle(ctx, t, p)
	}
	return scenario.Stats{}, fmt.Errorf("unknown scenario %q", name) // parseFlags lets none through
}
