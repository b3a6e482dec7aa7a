package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/batonlock/baton/bench/scenario"
)

// Exit codes.
const (
	exitOK          = 0
	exitFailed      = 1   // a scenario failed while measuring (its row says why)
	exitUsage       = 2   // bad flags, or a backend that cannot be opened or reached
	exitInterrupted = 130 // Ctrl-C: what was measured so far is printed
)

// stepGrace is the part of stepLimit that does not grow with the run's size.
var stepGrace = 30 * time.Second

// openTimeout bounds how long opening the backends may take (a server that does not answer).
const openTimeout = 15 * time.Second

// run is the whole command: it parses args, opens the backends, runs the scenarios, prints
// the table on stdout (or stderr with -json -) and returns the exit code. Cancelling ctx
// stops the run; the rows measured so far are still printed.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c, err := parseFlags(args, stderr)
	if errors.Is(err, errHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "lockbench: %v (see -h)\n", err)
		return exitUsage
	}
	table, jsonOut := stdout, io.Writer(nil)
	switch c.jsonPath {
	case "":
	case "-":
		table, jsonOut = stderr, stdout
	default:
		f, err := os.Create(c.jsonPath)
		if err != nil {
			fmt.Fprintf(stderr, "lockbench: -json: %v\n", err)
			return exitUsage
		}
		defer f.Close()
		jsonOut = f
	}

	openCtx, cancel := context.WithTimeout(ctx, openTimeout)
	ts, err := openTargets(openCtx, c)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "lockbench: interrupted while opening the backends")
			return exitInterrupted
		}
		fmt.Fprintf(stderr, "lockbench: %v\n", err)
		return exitUsage
	}
	defer ts.Close()
	for _, n := range ts.notes {
		fmt.Fprintf(stderr, "lockbench: %s\n", n)
	}

	prog := newProgress(stderr, len(ts.list)*len(c.scenarios), isTerminal(stderr))
	rows := measure(ctx, c, ts.list, prog)
	prog.Close()

	rep := newReport(c, rows, ctx.Err() != nil)
	writeTable(table, rep)
	if jsonOut != nil {
		if err := writeJSON(jsonOut, rep); err != nil {
			fmt.Fprintf(stderr, "lockbench: -json: %v\n", err)
			return exitFailed
		}
	}
	switch {
	case rep.Interrupted:
		fmt.Fprintln(stderr, "lockbench: interrupted; the table holds what was measured until then")
		return exitInterrupted
	case rep.failed() > 0:
		fmt.Fprintf(stderr, "lockbench: %d scenario(s) failed; see the error column\n", rep.failed())
		return exitFailed
	}
	return exitOK
}

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
