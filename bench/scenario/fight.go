package scenario

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// Fight: goroutines (default 8), each with its own handle on one lock, run a critical
// section (default 1ms, slept) under it as often as they can. All handles come from the
// target's one backend: the fight stays within one process.
func Fight(ctx context.Context, t Target, p Params) (Stats, error) {
	p.Workers = or(p.Workers, 8)
	name := runName("fight")
	ms := make([]Mutex, p.Workers)
	for i := range ms {
		var err error
		if ms[i], err = t.New(name); err != nil {
			return Stats{}, err
		}
	}
	return fight(ctx, "fight", t, p, ms)
}

// Fleet is a set of independent backends on one server, as many processes would have:
// News[i] makes locks through the i-th backend.
type Fleet struct {
	News []func(name string) (Mutex, error)
	// Permits[i] makes handles with n permits through the i-th backend; nil when the
	// fleet's backends have no permits.
	Permits []func(name string, n int) (Mutex, error)
	Close   func() error // closes every backend of the fleet
}

// ErrNoFleet: FightFleet was given a Target that cannot open a fleet (no Fleet, or none
// for the hold mode asked).
var ErrNoFleet = errors.New("the target cannot open independent backends for this hold mode (Fleet)")

// FightFleet is Fight with every worker (default 8) on a backend of its own, opened
// through the target's Fleet: a fight between processes. With p.Timeout 0 the holds are
// leased (no timeout), the scenario "fight8"; with p.Timeout > 0 every hold is taken with
// that timeout, the scenario "fight8-timed". It returns ErrNoFleet when the target has no
// fleet for that mode.
func FightFleet(ctx context.Context, t Target, p Params) (Stats, error) {
	if t.Fleet == nil {
		return Stats{}, ErrNoFleet
	}
	p.Workers = or(p.Workers, 8)
	scenario := "fight8"
	if p.Timeout > 0 {
		scenario = "fight8-timed"
	}
	f, err := t.Fleet(ctx, p.Workers, p.Timeout)
	if err != nil {
		return Stats{}, err
	}
	name := runName(scenario)
	ms := make([]Mutex, p.Workers)
	for i := range ms {
		if ms[i], err = f.News[i](name); err != nil {
			return Stats{}, errors.Join(err, f.Close())
		}
	}
	s, err := fight(ctx, scenario, t, p, ms)
	return s, errors.Join(err, f.Close())
}

// fight runs the fight on ms, one worker per handle.
func fight(ctx context.Context, scenario string, t Target, p Params, ms []Mutex) (Stats, error) {
	return fightN(ctx, scenario, t, p, ms, 1)
}

// fightN runs the fight on ms, one worker per handle, where up to limit holders at once are
// allowed: more is an overlap.
func fightN(ctx context.Context, scenario string, t Target, p Params, ms []Mutex, limit int64) (Stats, error) {
	section := or(p.Section, time.Millisecond)
	var inside, overlaps atomic.Int64
	waits := make([][]time.Duration, len(ms))
	r := newRun(p)
	err := r.workers(ctx, len(ms), func(w int) error {
		start := time.Now()
		if err := ms[w].Lock(ctx); err != nil {
			return err
		}
		waits[w] = append(waits[w], time.Since(start))
		if inside.Add(1) > limit {
			overlaps.Add(1)
		}
		runSection(section)
		inside.Add(-1)
		return ms[w].Unlock(ctx)
	})
	s := r.stats(scenario, t)
	s.Overlaps = overlaps.Load()
	lo, hi := len(waits[0]), len(waits[0])
	var all []time.Duration
	for _, ws := range waits {
		lo, hi = min(lo, len(ws)), max(hi, len(ws))
		all = append(all, ws...)
	}
	if hi > 0 {
		s.MinMax = float64(lo) / float64(hi)
	}
	s.P50, s.P99 = percentiles(all)
	return s, err
}
