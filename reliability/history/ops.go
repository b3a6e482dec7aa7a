package history

import (
	"fmt"

	"github.com/anishathalye/porcupine"
)

// hold gathers the records of one hold.
type hold struct {
	id       string
	client   int
	acquire  Record
	ends     []int64 // the instants its holder stopped believing: Release call, Lost
	deadline int64   // the last safe deadline, 0 when none is known
}

// end is when the hold ended, as its holder believed: the earliest of its Release call, its
// Lost() closing and its last safe deadline; horizon when none of them is in the history.
func (h *hold) end(horizon int64) int64 {
	end := horizon
	for _, t := range h.ends {
		end = min(end, t)
	}
	if h.deadline > 0 {
		end = min(end, h.deadline)
	}
	return end
}

// operations turns the records of one name into porcupine operations: an acquisition and an
// end per hold, and every write to the fenced store. Failed acquisitions change nothing in
// the model and are left out (the bounded-wait check reads them). clients maps a process's
// goroutine to porcupine's dense client ids.
func operations(recs []Record, clients map[[2]int]int, horizon int64) ([]porcupine.Operation, int) {
	holds := map[string]*hold{}
	order := []*hold{}
	get := func(r Record) *hold {
		id := fmt.Sprintf("%d/%d", r.Proc, r.Hold)
		h := holds[id]
		if h == nil {
			h = &hold{id: id, client: clientID(clients, r)}
			holds[id] = h
			order = append(order, h)
		}
		return h
	}
	var ops []porcupine.Operation
	for _, r := range recs {
		if r.Hold == 0 && r.Kind != Write {
			continue
		}
		switch r.Kind {
		case Acquire:
			if r.Outcome == Held {
				h := get(r)
				h.acquire, h.deadline = r, r.Deadline
			}
		case Release, Lost:
			h := get(r)
			h.ends = append(h.ends, r.Call)
		case Extend:
			if h := get(r); r.Outcome == OK && r.Deadline > 0 {
				h.deadline = max(h.deadline, r.Deadline)
			}
		case Write:
			ret := r.Return
			if r.Outcome == Failed {
				ret = horizon // it may take effect at any time after its call
			}
			ops = append(ops, porcupine.Operation{ClientId: clientID(clients, r),
				Input: input{op: opWrite, hold: fmt.Sprintf("%d/%d", r.Proc, r.Hold), fence: r.Fence},
				Call:  r.Call, Output: r.Outcome, Return: ret})
		}
	}
	n := 0
	for _, h := range order {
		if h.acquire.Kind == "" {
			continue // an end without a hold: a failed Acquire's loss report
		}
		n++
		in := input{op: opAcquire, hold: h.id, fence: h.acquire.Fence}
		ops = append(ops, porcupine.Operation{ClientId: h.client, Input: in,
			Call: h.acquire.Call, Output: Held, Return: h.acquire.Return})
		// The end takes effect at the instant the holder stopped believing. When that is
		// before Acquire returned (its safe deadline, counted from the call, passed while a
		// grant was on its way), the holder never relied on the hold: its end may then fall
		// anywhere up to the return, after the acquisition however late that was.
		end := max(h.end(horizon), h.acquire.Call)
		in.op = opEnd
		ops = append(ops, porcupine.Operation{ClientId: h.client, Input: in, Call: end, Output: "believed until here",
			Return: max(end, h.acquire.Return)})
	}
	return ops, n
}

func clientID(clients map[[2]int]int, r Record) int {
	k := [2]int{r.Proc, r.Client}
	id, ok := clients[k]
	if !ok {
		id = len(clients)
		clients[k] = id
	}
	return id
}
