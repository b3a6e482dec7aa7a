// Command lockbench measures baton's locks: it runs the lock scenarios side by side on the
// in-memory backend, on an embedded miniredis and on any Redis server you name, and prints one
// table row per backend and scenario.
//
//	go run ./bench/cmd/lockbench                 # local:// and embedded miniredis; no server needed
//	go run ./bench/cmd/lockbench -baseline -url redis://127.0.0.1:6379/0
//	go run ./bench/cmd/lockbench -scenarios fight,handoff -d 5s -json results.json
//
// The scenarios (package bench/scenario):
//
//	solo     one goroutine takes and releases its own lock: cycles/s
//	wide     64 goroutines (-workers), each on its own lock: cycles/s
//	fight    8 goroutines (-workers) on one lock, each holding it for -hold (1ms):
//	         sections/s, p50/p99 wait, min/max sections per worker, overlaps
//	handoff  A holds, B waits, A releases at t0, B holds at t1: p50/p99 of t1-t0 over -rounds
//	handoff2 the same with B on a second backend of the same server (another process, as far
//	         as Redis can tell); Redis backends and their raw baselines only
//	idle     8 waiters (-workers) wait for -d on a held lock: CPU-seconds burnt per second
//
// Every row also counts overlaps (two holders at once), which must be 0. With -baseline, the
// vs-base column gives a backend's ops/s over its baseline's on the same scenario: raw@X (plain
// go-redis on the same server X) for a Redis backend, sync.Mutex for local.
//
// Flags:
//
//	-url URL         add a backend (repeatable): any URL lock.Open accepts, such as
//	                 redis://[user:pass@]host:6379/0?prefix=bench: (passwords are never printed)
//	-baseline        add a raw go-redis baseline (SET NX PX with a busy retry, EVALSHA release)
//	                 next to every Redis backend (miniredis and -url), and sync.Mutex next to local
//	-d 1s            how long each timed scenario runs on each backend
//	-workers 0       goroutines of wide, fight and idle (0: 64, 8, 8)
//	-hold 1ms        fight's critical section
//	-rounds 200      handoff and handoff2 rounds (0: run them for -d)
//	-scenarios LIST  comma-separated subset of solo,wide,fight,handoff,handoff2,idle (or all)
//	-json FILE       also write the results as JSON (- for stdout; the table then goes to stderr)
//	-no-local        leave out local://
//	-no-miniredis    leave out the embedded miniredis
//
// With the defaults a run takes about 4×-d plus the handoff rounds per backend: about 11s
// for the two built-in backends, 20s with -baseline. While it runs, a terminal on stderr
// shows which backend and scenario is under way; redirected, stderr stays quiet.
// Ctrl-C stops the run and prints what was measured so far.
//
// The embedded miniredis listens on a free port of 127.0.0.1 and is closed at exit. It runs
// in the same process as the scenarios and is much slower than redis-server: its rows show
// that the Redis backend works, not how fast it is; use -url for that.
//
// Exit codes: 0 done; 1 a scenario failed (its row says why); 2 bad flags or a backend that
// cannot be opened or reached (one line on stderr); 130 interrupted.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/redis/go-redis/v9/logging"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	// After the first Ctrl-C, a second one kills the process as usual.
	context.AfterFunc(ctx, stop)
	// go-redis logs failed dials and retries on its own; lockbench reports errors itself, in
	// one line or in the table.
	logging.Disable()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
