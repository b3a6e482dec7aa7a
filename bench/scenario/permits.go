package scenario

import (
	"context"
	"errors"
	"sync"

	"golang.org/x/sync/semaphore"

	"github.com/batonlock/baton/lock"
)

// PermitCount is how many holders the permits scenarios let share their lock.
const PermitCount = 3

// ErrNoPermits: a permits scenario was given a Target without Permits (a backend that does
// not keep n holders, or a baseline of another kind).
var ErrNoPermits = errors.New("the target keeps no permits (Permits)")

// Permits: workers (default 8), each with its own handle on one lock of PermitCount permits,
// run a critical section (default 1ms, slept) under it as often as they can, in one process.
// More than PermitCount inside at once is an overlap.
func Permits(ctx context.Context, t Target, p Params) (Stats, error) {
	if t.Permits == nil {
		return Stats{}, ErrNoPermits
	}
	p.Workers = or(p.Workers, 8)
	name := runName("permits")
	ms := make([]Mutex, p.Workers)
	for i := range ms {
		var err error
		if ms[i], err = t.Permits(name, PermitCount); err != nil {
			return Stats{}, err
		}
	}
	return fightN(ctx, "permits", t, p, ms, PermitCount)
}

// PermitsFleet is Permits with every worker (default 8) on a backend of its own, opened
// through the target's Fleet: the scenario "permits8", between processes. It returns
// ErrNoFleet when the target has no fleet, and ErrNoPermits when it keeps no permits.
func PermitsFleet(ctx context.Context, t Target, p Params) (Stats, error) {
	if t.Permits == nil {
		return Stats{}, ErrNoPermits
	}
	if t.Fleet == nil {
		return Stats{}, ErrNoFleet
	}
	p.Workers = or(p.Workers, 8)
	f, err := t.Fleet(ctx, p.Workers, 0)
	if err != nil {
		return Stats{}, err
	}
	if len(f.Permits) < p.Workers {
		return Stats{}, errors.Join(ErrNoPermits, f.Close())
	}
	name := runName("permits8")
	ms := make([]Mutex, p.Workers)
	for i := range ms {
		if ms[i], err = f.Permits[i](name, PermitCount); err != nil {
			return Stats{}, errors.Join(err, f.Close())
		}
	}
	s, err := fightN(ctx, "permits8", t, p, ms, PermitCount)
	return s, errors.Join(err, f.Close())
}

// SupportsPermits reports whether b keeps lock.WithPermits: whether a second handle of a
// probe name with 2 permits gets in beside the first. A backend that refuses n > 1 in NewLock
// (quorum) does not; one that ignores the option (a mutex in disguise) does not either.
func SupportsPermits(ctx context.Context, b lock.Backend) (bool, error) {
	name := runName("permits-probe")
	var ls [2]lock.Locker
	for i := range ls {
		l, err := b.NewLock(name, lock.WithPermits(2), lock.WithBlocking(lock.NoWait))
		if errors.Is(err, lock.ErrInvalid) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		ls[i] = l
	}
	if err := ls[0].Acquire(ctx); err != nil {
		return false, err
	}
	err := ls[1].Acquire(ctx)
	ok := err == nil
	if ok {
		err = ls[1].Release(ctx)
	} else if errors.Is(err, lock.ErrNotAcquired) {
		err = nil
	}
	return ok, errors.Join(err, ls[0].Release(ctx))
}

// Semaphore is the in-process baseline of the permits scenarios: a
// golang.org/x/sync/semaphore.Weighted per name, of the size its first handle asks for,
// never forgotten. It runs the permits scenario only.
func Semaphore() Target {
	var mu sync.Mutex
	sems := map[string]*semaphore.Weighted{}
	return Target{Name: "semaphore.Weighted", Only: []string{"permits"}, Permits: func(name string, n int) (Mutex, error) {
		mu.Lock()
		defer mu.Unlock()
		s := sems[name]
		if s == nil {
			s = semaphore.NewWeighted(int64(n))
			sems[name] = s
		}
		return weighted{s}, nil
	}}
}

type weighted struct{ s *semaphore.Weighted }

func (w weighted) Lock(ctx context.Context) error { return w.s.Acquire(ctx, 1) }
func (w weighted) Unlock(context.Context) error   { w.s.Release(1); return nil }
