package history

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strings"

	"github.com/anishathalye/porcupine"
)

// The operations of the model. A hold is two operations: its acquisition, which takes effect
// somewhere between the call and the return of Acquire, and its end, which takes effect at the
// instant its holder stopped believing it held (see ops.go). So if a second hold began while
// the first holder still believed, no order of the operations fits the model.
const (
	opAcquire = iota + 1
	opEnd
	opWrite
)

// input is an operation's argument: which hold, and the fence it had or wrote with.
type input struct {
	op    int
	hold  string // "<proc>/<hold>"
	fence uint64
}

// state is the model's state for one name. It is comparable, as porcupine's default Equal
// needs. holds lists the holds in progress, sorted, so that permits (n holders) fit in it.
type state struct {
	holds string // comma-separated hold ids
	fence uint64 // the largest fence handed out so far
	store uint64 // the fenced store's high-water mark
}

// newModel returns the fenced-lock model with at most permits holds at once (0: no limit,
// for faults outside what the lock promises, where only fences and the store are checked).
// unordered drops the rule that fences rise in acquisition order (uniqueness is checked
// apart, see uniqueFences).
func newModel(permits int, unordered bool) porcupine.Model {
	m := porcupine.NondeterministicModel{
		Init: func() []any { return []any{state{}} },
		Step: func(s, in, out any) []any {
			return step(permits, unordered, s.(state), in.(input), out.(string))
		},
		Hash: func(s any) uint64 {
			h := fnv.New64a()
			st := s.(state)
			fmt.Fprintf(h, "%s|%d|%d", st.holds, st.fence, st.store)
			return h.Sum64()
		},
		DescribeOperation: describeOp,
		DescribeState: func(s any) string {
			st := s.(state)
			return fmt.Sprintf("holds [%s] fence %d store %d", st.holds, st.fence, st.store)
		},
	}
	return m.ToModel()
}

func step(permits int, unordered bool, s state, in input, out string) []any {
	holds := splitHolds(s.holds)
	switch in.op {
	case opAcquire:
		// Fences rise in acquisition order, which makes them unique too.
		if (permits > 0 && len(holds) >= permits) || (!unordered && in.fence <= s.fence) {
			return nil
		}
		holds = append(holds, in.hold)
		slices.Sort(holds)
		return []any{state{holds: strings.Join(holds, ","), fence: max(s.fence, in.fence), store: s.store}}
	case opEnd:
		i := slices.Index(holds, in.hold)
		if i < 0 {
			return nil
		}
		holds = slices.Delete(holds, i, i+1)
		return []any{state{holds: strings.Join(holds, ","), fence: s.fence, store: s.store}}
	case opWrite:
		return storeStep(s, in.fence, out)
	}
	return nil
}

// storeStep is the fenced store: a write is accepted when its fence is at least the largest
// it accepted before, and refused otherwise. A write whose outcome is unknown may have done
// either.
func storeStep(s state, fence uint64, out string) []any {
	accepted := s
	accepted.store = fence
	switch {
	case out == Failed && fence >= s.store:
		return []any{s, accepted}
	case out == Failed:
		return []any{s}
	case out == Accepted && fence >= s.store:
		return []any{accepted}
	case out == Refused && fence < s.store:
		return []any{s}
	}
	return nil
}

func splitHolds(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func describeOp(in, out any) string {
	i := in.(input)
	switch i.op {
	case opAcquire:
		return fmt.Sprintf("acquire %s fence %d", i.hold, i.fence)
	case opEnd:
		return fmt.Sprintf("end %s (%s)", i.hold, out)
	default:
		return fmt.Sprintf("write %s fence %d -> %s", i.hold, i.fence, out)
	}
}
