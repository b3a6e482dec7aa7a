package history

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"
)

// Config says how to check a history.
type Config struct {
	// Permits is how many holds of a name may exist at once: 1 for an exclusive lock. 0 checks
	// no exclusion, only that fences rise in acquisition order and that the store refuses
	// stale writes: what still holds under faults outside what the lock promises.
	Permits int
	// Unordered checks only that fences are unique, not that they rise in acquisition order:
	// for faults that delete a lock key behind its holder (FLUSHALL, a restart without
	// persistence), after which the holder's process may pass its hold on within the process
	// with fence + 1, below the fence a rival took the deleted key with.
	Unordered bool
	// Timeout bounds porcupine's search per name; an Unknown answer is an error.
	Timeout time.Duration
	// MaxOps bounds the operations per name, so that the search finishes; more is an error.
	MaxOps int
	// Dir is where a violation's visualisation is written (porcupine's HTML).
	Dir string
	// Label names the run in file names and messages.
	Label string
	// LossSlack, when positive, checks the loss deadline of holds whose TTL is known (timed
	// ones): Lost must close by the latest instant their key can have expired plus LossSlack,
	// the time a busy machine may take to run a due timer. 0 checks nothing of it, for faults
	// that stop the holder's process.
	LossSlack time.Duration
}

// Report is what a check found.
type Report struct {
	Names, Ops, Holds, Writes, Refused int
	// Violations lists each name whose history fits no linearization, with the path of its
	// visualisation.
	Violations []string
	// AcquireOverrun and CloseOverrun are the worst time past its Limit that an Acquire or a
	// Close took to return (0 when none overran).
	AcquireOverrun, CloseOverrun time.Duration
	// LateLoss is the latest, after its key can have expired, that a hold whose TTL is known
	// was told of its loss: negative when every such hold was told before.
	LateLoss time.Duration
	// WorstAcquire is the Acquire that overran most.
	WorstAcquire Record
}

func (r Report) String() string {
	s := fmt.Sprintf("%d names, %d operations, %d holds, %d writes (%d refused), %d violations, worst overrun: acquire %v, close %v",
		r.Names, r.Ops, r.Holds, r.Writes, r.Refused, len(r.Violations), r.AcquireOverrun, r.CloseOverrun)
	if r.LateLoss != math.MinInt64 {
		s += fmt.Sprintf(", latest loss vs key expiry %v", r.LateLoss)
	}
	if w := r.WorstAcquire; r.AcquireOverrun > 0 {
		s += fmt.Sprintf(" (process %d, %s after %v: %s %s)", w.Proc, w.Name, time.Duration(w.Return-w.Call), w.Outcome, w.Err)
	}
	return s
}

// Check checks recs, partitioned by name. It returns an error when the check could not decide
// (porcupine answered Unknown, a history was longer than MaxOps, a visualisation could not be
// written); violations are in the Report.
func Check(recs []Record, cfg Config) (Report, error) {
	rep := Report{LateLoss: math.MinInt64}
	byName := map[string][]Record{}
	var horizon int64
	for _, r := range recs {
		horizon = max(horizon, r.Return, r.Call)
		rep.overrun(r)
		if r.Name != "" {
			byName[r.Name] = append(byName[r.Name], r)
		}
	}
	horizon++
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	model := newModel(cfg.Permits, cfg.Unordered)
	var errs []error
	for _, name := range names {
		ops, holds, found, worstLoss := operations(byName[name], map[[2]int]int{}, horizon, cfg.LossSlack)
		rep.LateLoss = max(rep.LateLoss, worstLoss)
		rep.Names++
		rep.Ops += len(byName[name])
		rep.Holds += holds
		rep.count(byName[name])
		found = append(found, uniqueFences(byName[name])...) // what porcupine does not see
		if cfg.MaxOps > 0 && len(ops) > cfg.MaxOps {
			errs = append(errs, fmt.Errorf("history: %s: %d operations, more than the bound %d: shorten the run", name, len(ops), cfg.MaxOps))
			continue
		}
		res, info := porcupine.CheckOperationsVerbose(model, ops, cfg.Timeout)
		if res == porcupine.Unknown {
			errs = append(errs, fmt.Errorf("history: %s: porcupine found no answer within %v over %d operations (an unknown counts as a failure)",
				name, cfg.Timeout, len(ops)))
			continue
		}
		if res == porcupine.Ok && len(found) == 0 {
			continue
		}
		path := filepath.Join(cfg.Dir, fileName(cfg.Label, name))
		if err := porcupine.VisualizePath(model, info, path); err != nil {
			errs = append(errs, fmt.Errorf("history: %s: visualisation: %w", name, err))
		}
		for _, l := range found {
			rep.Violations = append(rep.Violations, fmt.Sprintf("%s: %s; see %s", name, l, path))
		}
		if res == porcupine.Illegal {
			rep.Violations = append(rep.Violations, fmt.Sprintf("%s: %d operations fit no linearization of a fenced lock (permits %d); see %s",
				name, len(ops), cfg.Permits, path))
		}
	}
	return rep, errors.Join(errs...)
}

// uniqueFences lists the fences that more than one hold of a name was given.
func uniqueFences(recs []Record) []string {
	seen := map[uint64]Record{}
	var dups []string
	for _, r := range recs {
		if r.Kind != Acquire || r.Outcome != Held {
			continue
		}
		if first, ok := seen[r.Fence]; ok {
			dups = append(dups, fmt.Sprintf("fence %d given to hold %d/%d and to hold %d/%d", r.Fence, first.Proc, first.Hold, r.Proc, r.Hold))
			continue
		}
		seen[r.Fence] = r
	}
	return dups
}

func (r *Report) count(recs []Record) {
	for _, rec := range recs {
		if rec.Kind == Write {
			r.Writes++
			if rec.Outcome == Refused {
				r.Refused++
			}
		}
	}
}

func (r *Report) overrun(rec Record) {
	if rec.Limit == 0 || rec.Return <= rec.Limit {
		return
	}
	d := time.Duration(rec.Return - rec.Limit)
	switch rec.Kind {
	case Acquire:
		if d > r.AcquireOverrun {
			r.AcquireOverrun, r.WorstAcquire = d, rec
		}
	case Close:
		r.CloseOverrun = max(r.CloseOverrun, d)
	}
}

// fileName makes a file name of a run's label and a lock name.
func fileName(label, name string) string {
	clean := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r == '/' || r == os.PathSeparator || r == ' ' || r == ':' {
				return '_'
			}
			return r
		}, s)
	}
	return "history-" + clean(label) + "-" + clean(name) + ".html"
}
