package util

import (
	"context"
	"log/slog"

	"github.com/batonlock/baton/bench"
	"github.com/batonlock/baton/future"
)

// AsyncObject is what asynchronous objects share (a logger, a debug flag, Timeit), as a
// struct to embed. Its zero value is ready to use.
//
//	type Service struct {
//		util.AsyncObject
//		...
//	}
//	s := &Service{AsyncObject: util.AsyncObject{Log: logger, Debug: true}}
//	s.Logger().Info("started")
type AsyncObject struct {
	// Log is the object's own logger. nil (the default) means
	// slog.Default().
	Log *slog.Logger
	// Debug is true in debug mode: Timeit then logs each run's summary,
	// and the embedding type may log more of what it does. Records go out at
	// slog.LevelDebug, so the logger's handler must let that level through.
	Debug bool
}

// Logger returns the object's logger: Log, else slog.Default().
func (o *AsyncObject) Logger() *slog.Logger {
	if o.Log != nil {
		return o.Log
	}
	return slog.Default()
}

// Timeit benchmarks fn, called times times (see
// bench.Timeit for opts and for what a cancelled run returns), and returns the future of
// the result. name labels the run in the debug log.
func (o *AsyncObject) Timeit(ctx context.Context, name string, times int, fn func(ctx context.Context) error, opts ...bench.Option) *future.Future[*bench.Result] {
	run := bench.Timeit(ctx, times, fn, opts...)
	if !o.Debug {
		return run
	}
	return future.Then(run, func(ctx context.Context, r *bench.Result) (*bench.Result, error) {
		o.Logger().LogAttrs(ctx, slog.LevelDebug, "timeit",
			slog.String("name", name), slog.Int("times", r.Times), slog.Duration("taken", r.Taken),
			slog.Int("errors", r.Errors), slog.Float64("per_second", r.Throughput()),
			slog.Duration("p50", r.P50()), slog.Duration("p99", r.P99()), slog.Duration("max", r.Max()))
		return r, nil
	})
}
