package scenario

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Params size a scenario run. Zero values take the defaults written on each field.
type Params struct {
	Ops      int           // operations in all; 0: run for Duration
	Duration time.Duration // how long to run when Ops is 0 (default 1s)
	Workers  int           // goroutines (default: solo 1, wide 64, fight 8, FightFleet 8, idle 8)
	Section  time.Duration // fight: the critical section (default 1ms)
	Settle   time.Duration // handoff, idle: time for the waiters to start waiting (default 2ms)
	Timeout  time.Duration // FightFleet: each hold's lock.WithTimeout; 0: leased holds (no timeout)
}

// Stats is what a run measured.
type Stats struct {
	Scenario, Target string
	Ops              int           // cycles (solo, wide), sections (fight, fight8), handoffs, waiters (idle)
	Elapsed          time.Duration // wall time of the run
	PerSec           float64       // Ops per second
	P50, P99         time.Duration // fight: wait for the lock; handoff: release to next hold
	MinMax           float64       // fight: sections of the least served worker / the most served
	Overlaps         int64         // two holders at once: must be 0
	CPU              float64       // idle: CPU seconds the process used per second of waiting
	CPUPerOp         time.Duration // solo, wide: CPU the process used per cycle (the client's, not the server's)
}

func (s Stats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-8s %-14s %7d ops %9.0f/s", s.Scenario, s.Target, s.Ops, s.PerSec)
	if s.P50 > 0 || s.P99 > 0 {
		fmt.Fprintf(&b, "  p50 %v p99 %v", s.P50, s.P99)
	}
	if strings.HasPrefix(s.Scenario, "fight") {
		fmt.Fprintf(&b, "  min/max %.2f overlaps %d", s.MinMax, s.Overlaps)
	}
	if s.Scenario == "idle" {
		fmt.Fprintf(&b, "  cpu %.3f", s.CPU)
	}
	return b.String()
}

// Solo: one goroutine takes and releases its own lock, over and over.
func Solo(ctx context.Context, t Target, p Params) (Stats, error) {
	p.Workers = 1
	return ownKeys(ctx, "solo", t, p)
}

// Wide: many goroutines (default 64), each with its own lock, take and release them.
func Wide(ctx context.Context, t Target, p Params) (Stats, error) {
	p.Workers = or(p.Workers, 64)
	return ownKeys(ctx, "wide", t, p)
}

func ownKeys(ctx context.Context, scenario string, t Target, p Params) (Stats, error) {
	prefix := runName(scenario)
	ms := make([]Mutex, p.Workers)
	for i := range ms {
		var err error
		if ms[i], err = t.New(fmt.Sprintf("%s:%d", prefix, i)); err != nil {
			return Stats{}, err
		}
	}
	r := newRun(p)
	cpu := cpuTime()
	err := r.workers(ctx, p.Workers, func(w int) error {
		if err := ms[w].Lock(ctx); err != nil {
			return err
		}
		return ms[w].Unlock(ctx)
	})
	cpu = cpuTime() - cpu
	s := r.stats(scenario, t)
	if s.Ops > 0 {
		s.CPUPerOp = cpu / time.Duration(s.Ops)
	}
	return s, err
}

// Handoff: A holds the lock and B waits for it; A releases at t0 and B holds at t1. It
// measures t1 − t0.
func Handoff(ctx context.Context, t Target, p Params) (Stats, error) {
	return handoff(ctx, t, p, "handoff", t.New, t.New)
}

// ErrNoPeer: HandoffPeer was given a Target without a Peer.
var ErrNoPeer = errors.New("the target has no second backend (Peer)")

// HandoffPeer is Handoff with B on the target's Peer: the hand-off between two processes.
// It returns ErrNoPeer when the target has none.
func HandoffPeer(ctx context.Context, t Target, p Params) (Stats, error) {
	if t.Peer == nil {
		return Stats{}, ErrNoPeer
	}
	return handoff(ctx, t, p, "handoff2", t.New, t.Peer)
}

// HandoffTimed is Handoff (peer false: "handoff-timed") or HandoffPeer (peer true:
// "handoff2-timed") with both holds taken WithTimeout(p.Timeout), through two backends of
// the target's Fleet. It returns ErrNoFleet when the target has none.
func HandoffTimed(ctx context.Context, t Target, p Params, peer bool) (Stats, error) {
	if t.Fleet == nil || p.Timeout <= 0 {
		return Stats{}, ErrNoFleet
	}
	f, err := t.Fleet(ctx, 2, p.Timeout)
	if err != nil {
		return Stats{}, err
	}
	scenario, newB := "handoff-timed", f.News[0]
	if peer {
		scenario, newB = "handoff2-timed", f.News[1]
	}
	s, err := handoff(ctx, t, p, scenario, f.News[0], newB)
	return s, errors.Join(err, f.Close())
}

func handoff(ctx context.Context, t Target, p Params, scenario string, newA, newB func(string) (Mutex, error)) (Stats, error) {
	settle := or(p.Settle, 2*time.Millisecond)
	name := runName(scenario)
	a, err := newA(name)
	if err != nil {
		return Stats{}, err
	}
	b, err := newB(name)
	if err != nil {
		return Stats{}, err
	}
	var gaps []time.Duration
	var overlaps atomic.Int64
	r := newRun(p)
	round := func() error {
		if err := a.Lock(ctx); err != nil {
			return err
		}
		var released atomic.Bool
		got := make(chan error, 1)
		var t1 time.Time
		go func() {
			err := b.Lock(ctx)
			t1 = time.Now()
			if err == nil && !released.Load() {
				overlaps.Add(1)
			}
			got <- err
		}()
		time.Sleep(settle)
		released.Store(true)
		t0 := time.Now()
		if err := a.Unlock(ctx); err != nil {
			return err
		}
		if err := <-got; err != nil {
			return err
		}
		gaps = append(gaps, t1.Sub(t0))
		return b.Unlock(ctx)
	}
	if r.ops > 0 {
		err = r.timeit(ctx, round)
	} else {
		err = r.workers(ctx, 1, func(int) error { return round() })
	}
	s := r.stats(scenario, t)
	s.Overlaps = overlaps.Load()
	s.P50, s.P99 = percentiles(gaps)
	return s, err
}

// Idle measures the CPU the process burns while waiters (default 8) wait for a lock that
// stays held for Duration (default 1s): a waiter that sleeps until it is woken burns none.
// If ctx ends first, it stops then, with the CPU measured so far and ctx's error.
func Idle(ctx context.Context, t Target, p Params) (Stats, error) {
	p.Workers = or(p.Workers, 8)
	d := or(p.Duration, time.Second)
	name := runName("idle")
	holder, err := t.New(name)
	if err != nil {
		return Stats{}, err
	}
	if err := holder.Lock(ctx); err != nil {
		return Stats{}, err
	}
	var wg sync.WaitGroup
	errs := make(chan error, p.Workers)
	for i := 0; i < p.Workers; i++ {
		m, err := t.New(name)
		if err != nil {
			errs <- err
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := m.Lock(ctx); err != nil {
				errs <- err
				return
			}
			errs <- m.Unlock(context.WithoutCancel(ctx))
		}()
	}
	time.Sleep(or(p.Settle, 2*time.Millisecond) + 50*time.Millisecond)
	cpu0, wall0 := cpuTime(), time.Now()
	held := time.NewTimer(d)
	select {
	case <-held.C:
	case <-ctx.Done(): // stop early; the waiters return ctx's error
		held.Stop()
	}
	cpu, wall := cpuTime()-cpu0, time.Since(wall0)
	uerr := holder.Unlock(context.WithoutCancel(ctx))
	wg.Wait()
	close(errs)
	for err := range errs {
		uerr = errorsJoin(uerr, err)
	}
	return Stats{Scenario: "idle", Target: t.Name, Ops: p.Workers, Elapsed: wall,
		CPU: cpu.Seconds() / wall.Seconds()}, uerr
}
