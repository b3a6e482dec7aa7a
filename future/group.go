package future

import (
	"context"
	"sync"
)

// GroupOption configures a Group made by NewGroup.
type GroupOption func(*groupConfig)

type groupConfig struct {
	limit int
}

// WithLimit lets at most n functions of the group run at once; Go waits for a free slot.
// n <= 0 (the default) means no limit.
func WithLimit(n int) GroupOption { return func(c *groupConfig) { c.limit = n } }

// Group runs a batch of functions, each on its own goroutine, at most a limit at a time, and
// collects their results in the order they were submitted. It is errgroup with results and
// futures.
//
// A Group made by NewGroup cancels its context, with the error as cause, when the first
// function fails, so that the others can stop; Wait cancels it too, so a Group is for one
// batch. The zero Group is usable: no limit, no context, and a failure cancels nothing.
type Group[T any] struct {
	ctx    context.Context         // nil in the zero Group: context.Background()
	cancel context.CancelCauseFunc // nil in the zero Group
	sem    chan struct{}           // nil when there is no limit

	wg  sync.WaitGroup
	mu  sync.Mutex
	fs  []*Future[T]
	err error
}

// NewGroup returns a Group whose functions get a child of ctx that is cancelled when the
// first of them fails, or when Wait returns.
func NewGroup[T any](ctx context.Context, opts ...GroupOption) *Group[T] {
	var cfg groupConfig
	for _, o := range opts {
		o(&cfg)
	}
	g := &Group[T]{}
	g.ctx, g.cancel = context.WithCancelCause(ctx)
	if cfg.limit > 0 {
		g.sem = make(chan struct{}, cfg.limit)
	}
	return g
}

// Go runs fn on a new goroutine, once the limit allows, and returns the future of its
// result, which Wait also collects. While the limit is reached Go blocks; if the group's
// context ends meanwhile, fn is not run and its future rejects with the context's error.
func (g *Group[T]) Go(fn func(ctx context.Context) (T, error)) *Future[T] {
	ctx := g.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	if g.sem != nil {
		select {
		case g.sem <- struct{}{}:
			// A slot freed by a failure must not start fn: fail cancels ctx before the
			// slot is freed, but select picks at random between two ready cases.
			if ctx.Err() != nil {
				<-g.sem
				return g.refuse(ctx)
			}
		case <-ctx.Done():
			return g.refuse(ctx)
		}
	}
	g.wg.Add(1)
	f := Go(ctx, fn)
	g.add(f)
	f.onSettle(func() {
		if _, err, _ := f.Peek(); err != nil {
			g.fail(err)
		}
		if g.sem != nil {
			<-g.sem
		}
		g.wg.Done()
	})
	return f
}

// Wait waits for every function started by Go to return, then returns their values in the
// order Go was called (the zero value for those that failed) and the first error, in time,
// of any of them.
func (g *Group[T]) Wait() ([]T, error) {
	g.wg.Wait()
	if g.cancel != nil {
		g.cancel(context.Canceled)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	vals := make([]T, len(g.fs))
	for i, f := range g.fs {
		if v, err, _ := f.Peek(); err == nil {
			vals[i] = v // the zero value for those that failed
		}
	}
	return vals, g.err
}

// refuse records, for a function that will not run, a future rejected with ctx's error.
func (g *Group[T]) refuse(ctx context.Context) *Future[T] {
	err := ctxErr(ctx)
	f := Rejected[T](err)
	g.add(f)
	g.fail(err)
	return f
}

func (g *Group[T]) add(f *Future[T]) {
	g.mu.Lock()
	g.fs = append(g.fs, f)
	g.mu.Unlock()
}

func (g *Group[T]) fail(err error) {
	g.mu.Lock()
	first := g.err == nil
	if first {
		g.err = err
	}
	g.mu.Unlock()
	if first && g.cancel != nil {
		g.cancel(err)
	}
}
