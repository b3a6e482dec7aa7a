package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// scenarioNames are the scenarios lockbench knows, in the order it runs them.
var scenarioNames = []string{"solo", "wide", "fight", "fight8", "fight8-timed", "handoff", "handoff2", "handoff-timed", "handoff2-timed", "idle", "permits", "permits8"}

// config is what the command line asked for.
type config struct {
	urls        []string      // -url: extra backends, in the order given
	baseline    bool          // -baseline (default true): raw go-redis next to every Redis, sync.Mutex next to local
	duration    time.Duration // -d: how long each timed scenario runs
	workers     int           // -workers: goroutines of wide, fight and idle (0: their defaults)
	hold        time.Duration // -hold: the critical section of fight, fight8, fight8-timed, permits and permits8
	timeout     time.Duration // -timeout: fight8-timed's lock.WithTimeout
	rounds      int           // -rounds: handoff rounds (0: run handoff for -d)
	scenarios   []string      // -scenarios
	jsonPath    string        // -json: "" none, "-" stdout, else a file
	noLocal     bool          // -no-local
	noMiniredis bool          // -no-miniredis
}

// urlList is a repeatable string flag.
type urlList []string

func (u *urlList) String() string {
	r := make([]string, len(*u))
	for i, s := range *u {
		r[i] = redacted(s)
	}
	return strings.Join(r, ",")
}

func (u *urlList) Set(s string) error { *u = append(*u, s); return nil }

// errHelp is returned for -h: the usage was printed, and that is not a failure.
var errHelp = flag.ErrHelp

// parseFlags reads args. Errors are one line, without the usage text; -h prints the usage to
// stderr and returns errHelp.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	c := config{}
	fs := flag.NewFlagSet("lockbench", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Var((*urlList)(&c.urls), "url", "add a backend by URL, e.g. redis://127.0.0.1:6379/0 (repeatable; any URL lock.Open accepts)")
	fs.BoolVar(&c.baseline, "baseline", true, "run the baselines: raw go-redis SET NX next to every Redis backend, sync.Mutex next to local and for fight8 (-baseline=false: leave them out)")
	fs.DurationVar(&c.duration, "d", time.Second, "how long each timed scenario (solo, wide, the fights, idle, the permits) runs on each backend")
	fs.IntVar(&c.workers, "workers", 0, "goroutines of wide, fight, fight8, idle, permits and permits8 (0: their defaults 64, 8, 8, 8, 8 and 8)")
	fs.DurationVar(&c.hold, "hold", time.Millisecond, "fight, fight8, permits, permits8: the critical section each worker sleeps in under the lock")
	fs.DurationVar(&c.timeout, "timeout", 30*time.Second, "fight8-timed, handoff-timed, handoff2-timed: the lock.WithTimeout of every hold")
	fs.IntVar(&c.rounds, "rounds", 200, "handoff, handoff2 and their -timed forms: how many handoffs to measure (0: run them for -d)")
	scenarios := fs.String("scenarios", strings.Join(scenarioNames, ","), "comma-separated scenarios to run, or all")
	fs.StringVar(&c.jsonPath, "json", "", "also write the results as JSON to this file (- for stdout; the table then goes to stderr)")
	fs.BoolVar(&c.noLocal, "no-local", false, "leave out the in-memory backend (local://)")
	fs.BoolVar(&c.noMiniredis, "no-miniredis", false, "leave out the embedded miniredis")
	fs.Usage = func() {} // a bad flag gets one line (from run), not the whole usage
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "usage: lockbench [flags]\n\n%s\n\nflags:\n", usageText)
			fs.SetOutput(stderr)
			fs.PrintDefaults()
			return c, errHelp
		}
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q (flags only; see -h)", fs.Arg(0))
	}
	var err error
	if c.scenarios, err = parseScenarios(*scenarios); err != nil {
		return c, err
	}
	switch {
	case c.duration <= 0:
		return c, fmt.Errorf("-d %v: must be > 0", c.duration)
	case c.workers < 0:
		return c, fmt.Errorf("-workers %d: must be >= 0 (0: each scenario's default)", c.workers)
	case c.hold <= 0:
		return c, fmt.Errorf("-hold %v: must be > 0", c.hold)
	case c.timeout < time.Millisecond:
		return c, fmt.Errorf("-timeout %v: must be >= 1ms (Redis expires keys in whole milliseconds)", c.timeout)
	case c.rounds < 0:
		return c, fmt.Errorf("-rounds %d: must be >= 0 (0: run handoff for -d)", c.rounds)
	case c.noLocal && c.noMiniredis && len(c.urls) == 0:
		return c, errors.New("nothing to measure: -no-local and -no-miniredis without any -url")
	}
	return c, nil
}

const usageText = `lockbench runs baton's lock scenarios (solo, wide, fight, fight8, fight8-timed, handoff, handoff2,
handoff-timed, handoff2-timed, idle, permits, permits8) side by side on the in-memory backend, an embedded miniredis and any -url backends, next to
their baselines, and prints a table, a legend and the figures that matter.`

func parseScenarios(s string) ([]string, error) {
	if strings.TrimSpace(s) == "all" {
		return slices.Clone(scenarioNames), nil
	}
	var out []string
	for _, name := range strings.Split(s, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		if !slices.Contains(scenarioNames, name) {
			return nil, fmt.Errorf("-scenarios: unknown scenario %q (known: %s)", name, strings.Join(scenarioNames, ", "))
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("-scenarios %q: no scenario named (known: %s)", s, strings.Join(scenarioNames, ", "))
	}
	return out, nil
}
