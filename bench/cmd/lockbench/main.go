// Command lockbench measures baton's locks: it runs the lock scenarios side by side on the
// in-memory backend, on an embedded miniredis and on any Redis server you name, each next to
// its baseline, and prints one table row per backend and scenario, a legend, and last the
// figures that matter with a verdict on the run.
//
//	go run ./bench/cmd/lockbench                 # local:// and embedded miniredis; no server needed
//	go run ./bench/cmd/lockbench -url redis://127.0.0.1:6379/0 -d 2s
//	go run ./bench/cmd/lockbench -scenarios fight8,fight8-timed -d 5s -json results.json
//
// The scenarios (package bench/scenario):
//
//	solo         one goroutine takes and releases its own lock: cycles/s
//	wide         64 goroutines (-workers), each on its own lock: cycles/s
//	fight        8 goroutines (-workers) of one backend on one lock, each holding it for -hold
//	             (1ms): sections/s, p50/p99 wait, min/max sections per worker
//	fight8       the same with every worker on a backend of its own, opened from the same URL
//	             (as 8 processes), leased holds; Redis backends and their baselines only
//	fight8-timed fight8 with every hold taken WithTimeout(-timeout, 30s)
//	handoff      A holds, B waits, A releases at t0, B holds at t1: p50/p99 of t1-t0 over -rounds
//	handoff2     the same with B on a second backend of the same server (another process, as
//	             far as Redis can tell); Redis backends and their raw baselines only
//	handoff-timed, handoff2-timed
//	             handoff and handoff2 with both holds taken WithTimeout(-timeout), A and B
//	             through backends of their own (one for handoff-timed, two for handoff2-timed)
//	idle         8 waiters (-workers) wait for -d on a held lock: CPU-seconds burnt per second
//	permits      8 goroutines (-workers) on one lock WithPermits(3), each holding a permit for
//	             -hold: sections/s against golang.org/x/sync/semaphore.Weighted doing the same;
//	             backends that keep permits only (a probe finds them)
//	permits8     the same with every worker on a backend of its own (as 8 processes)
//
// Every row also counts overlaps (two holders at once), which must be 0. The baselines run by
// default (-baseline=false leaves them out): sync.Mutex next to local, and raw@X (plain
// go-redis SET NX PX with a busy retry and an EVALSHA compare-and-delete, on the same server
// X) next to every Redis backend. vs-base gives a row's ops/s over its baseline's in the same
// run; fight8 and fight8-timed are held up to sync.Mutex's fight8, the same fight in one
// process; permits and permits8 are held up to semaphore.Weighted's permits. The last lines give, per backend, the hand-off p50 and each fight's min/max and
// p99 wait, with their ratios to the baseline's, and whether the run was sound (no overlaps,
// no errors).
//
// Flags:
//
//	-url URL         add a backend (repeatable): any URL lock.Open accepts, such as
//	                 redis://[user:pass@]host:6379/0?prefix=bench: (passwords are never printed)
//	-baseline=false  leave out the baselines
//	-d 1s            how long each timed scenario runs on each backend
//	-workers 0       goroutines of wide, fight, fight8 and idle (0: 64, 8, 8, 8)
//	-hold 1ms        the critical section of fight, fight8, fight8-timed, permits, permits8
//	-timeout 30s     fight8-timed, handoff-timed, handoff2-timed: every hold's lock.WithTimeout
//	-rounds 200      handoff rounds, of all four forms (0: run them for -d)
//	-scenarios LIST  comma-separated subset of solo,wide,fight,fight8,fight8-timed,handoff,
//	                 handoff2,handoff-timed,handoff2-timed,idle,permits,permits8 (or all)
//	-json FILE       also write the results as JSON (- for stdout; the table then goes to stderr)
//	-no-local        leave out local://
//	-no-miniredis    leave out the embedded miniredis
//
// With the defaults a run takes up to 9×-d plus the handoff rounds per backend: about 30s
// for the two built-in backends and their baselines. While it runs, a terminal on stderr
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
