package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// Exit codes.
const (
	exitOK          = 0
	exitFailed      = 1   // a scenario failed while measuring (its row says why)
	exitUsage       = 2   // bad flags, or a backend that cannot be opened or reached
	exitInterrupted = 130 // Ctrl-C: what was measured so far is printed
)

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

	prog := newProgress(stderr, len(ts.list)*len(c.scenarios), isTerminal(stderr))
	rows := measure(ctx, c, ts.list, prog)
	prog.Close()

	rep := newReport(c, rows, ts.bases, ctx.Err() != nil)
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
