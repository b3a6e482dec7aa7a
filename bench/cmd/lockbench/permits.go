package main

import (
	"context"
	"fmt"
	"slices"

	"github.com/batonlock/baton/bench/scenario"
)

// addPermits gives the permits scenarios their targets, when c asks for them: every backend
// that keeps lock.WithPermits (found by a probe, so that a backend which would run them as a
// plain mutex has no permits rows rather than rows measured as a mutex), and the in-process
// baseline semaphore.Weighted.
func (ts *targets) addPermits(ctx context.Context, c config) error {
	if !slices.Contains(c.scenarios, "permits") && !slices.Contains(c.scenarios, "permits8") {
		return nil
	}
	for i, t := range ts.list {
		b, ok := ts.backends[t.Name]
		if !ok {
			continue
		}
		keeps, err := scenario.SupportsPermits(ctx, b)
		if err != nil {
			return fmt.Errorf("%s: probing for permits: %w", t.Name, err)
		}
		if keeps {
			ts.list[i].Permits = scenario.BackendPermits(b)
		}
	}
	if c.baseline {
		t := scenario.Semaphore()
		ts.list = append(ts.list, t)
		ts.bases.sem = t.Name
	}
	return nil
}
