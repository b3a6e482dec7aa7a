package future

import (
	"context"
	"fmt"
)

// gather is the one machine behind All, AllMap, AllSettled, Race and Any. It calls each(i, v,
// err) as each source settles, until out settles, and then lets go: it unregisters from the
// sources still pending (so that a source that never settles keeps nothing of out alive),
// stops watching ctx, and, when asked and out failed, cancels the sources.
//
// Sources that have settled already are handed to each at once, in input order, on the
// caller's goroutine: an outcome decided when the aggregate is made does not depend on
// scheduling. Only then is ctx watched, with context.AfterFunc, which parks no goroutine.
type gather[T, R any] struct {
	ctx          context.Context
	srcs         []*Future[T]
	out          *Future[R]
	cancelOthers bool
}

// run registers each on the sources and returns out. each must be safe for concurrent use
// and quick: it runs inside the settling of a source.
func (g *gather[T, R]) run(each func(out *Future[R], i int, v T, err error)) *Future[R] {
	out := &Future[R]{}
	g.out = out
	out.cancel = cancelFunc(func() { out.settle(zeroOf[R](), context.Canceled) })
	ws := make([]*waiter, len(g.srcs))
	for i, f := range g.srcs {
		if out.isSettled() {
			break
		}
		if f == nil {
			out.settle(zeroOf[R](), fmt.Errorf("%w at position %d", ErrNilFuture, i))
			break
		}
		if v, err, ok := f.Peek(); ok {
			each(out, i, v, err)
			continue
		}
		ws[i] = f.onSettle(func() {
			v, err, _ := f.Peek()
			each(out, i, v, err)
		})
	}
	stopCtx := func() bool { return false }
	if ctx := g.ctx; ctx.Done() != nil && !out.isSettled() {
		stopCtx = context.AfterFunc(ctx, func() { out.settle(zeroOf[R](), ctxErr(ctx)) })
	}
	out.onSettle(func() {
		stopCtx()
		for i, w := range ws {
			if w != nil {
				g.srcs[i].unsubscribe(w)
			}
		}
		if _, err, _ := out.Peek(); err != nil && g.cancelOthers {
			for _, f := range g.srcs {
				if f != nil {
					f.Cancel()
				}
			}
		}
	})
	return out
}

func zeroOf[T any]() T {
	var zero T
	return zero
}
