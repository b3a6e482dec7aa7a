package reliability_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/reliability/history"
)

// The timings of a worker's cycle.
const (
	acquireCtx   = time.Second             // the ctx deadline of an Acquire that blocks Forever
	releaseBound = 2 * time.Second         // Release's own ctx
	writeBound   = time.Second             // a write to the fenced store
	overstay     = 1200 * time.Millisecond // how long a holder sometimes keeps a timed hold: well past its timeout
)

// cycle is one Acquire, some writes to the fenced store while the hold lasts, sometimes an
// Extend, and a Release, each recorded as the worker saw it.
func (w *chaosWorkers) cycle(ctx context.Context, g int, h *handle, rng *rand.Rand) {
	id := w.holds.Add(1)
	h.hold.Store(id)
	base := history.Record{Proc: w.cfg.Proc, Client: g, Name: h.l.Name(), Hold: int(id)}

	actx, cancel := ctx, context.CancelFunc(func() {})
	if h.blocking == lock.Forever {
		actx, cancel = context.WithTimeout(ctx, acquireCtx)
	}
	defer cancel()
	r := base
	r.Kind, r.Call = history.Acquire, history.Now()
	r.Limit = acquireLimit(actx, r.Call, h.blocking)
	err := h.l.Acquire(actx)
	r.Return, r.Outcome, r.Err = history.Now(), acquireOutcome(err), errString(err)
	if err != nil {
		w.rec.Add(r)
		return
	}
	r.Fence = h.l.Fence()
	if h.timeout > 0 {
		// The key was set after the call, so it cannot expire before call + timeout.
		r.Deadline = r.Call + int64(h.timeout)
	}
	w.rec.Add(r)
	w.work(ctx, base, r.Fence, h, rng)

	fence := r.Fence
	r = base
	r.Kind, r.Fence, r.Call = history.Release, fence, history.Now()
	rctx, rcancel := context.WithTimeout(context.Background(), releaseBound)
	err = h.l.Release(rctx)
	rcancel()
	r.Return, r.Err = history.Now(), errString(err)
	r.Outcome = history.OK
	if errors.Is(err, lock.ErrNotHeld) {
		r.Outcome = history.NotHeld
	} else if err != nil {
		r.Outcome = history.Failed
	}
	w.rec.Add(r)
}

// work writes to the fenced store with the hold's fence one to three times, with pauses,
// until the hold is lost; a timed hold sometimes overstays its timeout, and sometimes is
// extended first.
func (w *chaosWorkers) work(ctx context.Context, base history.Record, fence uint64, h *handle, rng *rand.Rand) {
	lost := h.l.Lost()
	for i, n := 0, 1+rng.IntN(3); i < n; i++ {
		pause := time.Duration(rng.IntN(100)) * time.Millisecond
		if h.timeout > 0 && rng.IntN(10) == 0 {
			pause = overstay
		}
		t := time.NewTimer(pause)
		select {
		case <-lost:
			t.Stop()
			at := history.Now()
			r := base
			r.Kind, r.Call, r.Return, r.Fence = history.Lost, at, at, fence
			w.rec.Add(r)
			return
		case <-t.C:
		}
		if h.timeout > 0 && rng.IntN(5) == 0 {
			w.extend(ctx, base, h)
		}
		w.write(base, fence)
	}
}

func (w *chaosWorkers) extend(ctx context.Context, base history.Record, h *handle) {
	r := base
	r.Kind, r.Call = history.Extend, history.Now()
	ectx, cancel := context.WithTimeout(ctx, writeBound)
	err := h.l.Extend(ectx, h.timeout)
	cancel()
	r.Return, r.Outcome, r.Err = history.Now(), history.OK, errString(err)
	if err != nil {
		r.Outcome = history.Failed
	} else {
		r.Deadline = r.Call + int64(h.timeout)
	}
	w.rec.Add(r)
}

func (w *chaosWorkers) write(base history.Record, fence uint64) {
	r := base
	r.Kind, r.Fence, r.Call = history.Write, fence, history.Now()
	wctx, cancel := context.WithTimeout(context.Background(), writeBound)
	n, err := storeScript.Run(wctx, w.store, []string{"store:" + base.Name}, fence).Int()
	cancel()
	r.Return, r.Err = history.Now(), errString(err)
	switch {
	case err != nil:
		r.Outcome = history.Failed
	case n == 1:
		r.Outcome = history.Accepted
	default:
		r.Outcome = history.Refused
	}
	w.rec.Add(r)
}

// acquireLimit is when an Acquire called at call must have returned by: its blocking window
// or its ctx deadline, whichever is first.
func acquireLimit(ctx context.Context, call int64, blocking time.Duration) int64 {
	var limit int64
	if d, ok := ctx.Deadline(); ok {
		limit = call + int64(time.Until(d))
	}
	if blocking >= 0 && (limit == 0 || call+int64(blocking) < limit) {
		limit = call + int64(blocking)
	}
	return limit
}

func acquireOutcome(err error) string {
	switch {
	case err == nil:
		return history.Held
	case errors.Is(err, lock.ErrNotAcquired):
		return history.NotAcquired
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return history.Ctx
	case errors.Is(err, lock.ErrClosed):
		return history.Closed
	}
	return history.Failed
}

func outcome(err error) string {
	if err != nil {
		return history.Failed
	}
	return history.OK
}
