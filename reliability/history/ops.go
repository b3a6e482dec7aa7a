package history

import (
	"fmt"
	"math"
	"time"

	"github.com/anishathalye/porcupine"
)

// hold gathers the records of one hold.
type hold struct {
	id       string
	client   int
	acquire  Record
	ends     []int64 // the instants its holder stopped believing: Release call, Lost
	deadline int64   // the last safe deadline, 0 when none is known
	// expiry is the latest instant its key can have expired on the server: the return of
	// the last call that set its TTL, plus that TTL (0 when unknown: a leased hold).
	expiry  int64
	release int64 // its Release call, 0 for none
	lost    int64 // the first report of its loss, 0 for none
}

// told is when the holder stopped believing it held: the earlier of its Lost closing and
// its Release call, or horizon when the history has neither.
func (h *hold) told(horizon int64) int64 {
	t := horizon
	if h.lost != 0 {
		t = min(t, h.lost)
	}
	if h.release != 0 {
		t = min(t, h.release)
	}
	return t
}

// late reports whether the holder still believed it held more than slack after its key can
// have expired: Lost closed too late, or only its Release (or nothing) told it.
func (h *hold) late(slack time.Duration, horizon int64) bool {
	if slack <= 0 || h.expiry == 0 {
		return false
	}
	return h.told(horizon) > h.expiry+int64(slack)
}

// extendTo records a call that set the key's TTL, with its safe deadline counted from the call.
func (h *hold) extendTo(r Record) {
	if r.Deadline == 0 {
		return
	}
	h.deadline = max(h.deadline, r.Deadline)
	h.expiry = max(h.expiry, r.Return+(r.Deadline-r.Call))
}

func firstOf(t, u int64) int64 {
	if t == 0 {
		return u
	}
	return min(t, u)
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
//
// A hold told of its loss more than lossSlack after its key can have expired (see late)
// is returned in late, and its end is when its holder was told, not its deadline: the
// rival that took the expired key then overlaps it.
// worstLoss is the latest, relative to its key's expiry, that a hold with a known TTL was told
// of its loss (negative: before the expiry).
func operations(recs []Record, clients map[[2]int]int, horizon int64, lossSlack time.Duration) (ops []porcupine.Operation, holds int, late []string, worstLoss time.Duration) {
	worstLoss = math.MinInt64
	order, ops := collect(recs, clients, horizon)
	for _, h := range order {
		if h.acquire.Kind == "" {
			continue // an end without a hold: a failed Acquire's loss report
		}
		holds++
		if h.expiry > 0 {
			worstLoss = max(worstLoss, time.Duration(h.told(horizon)-h.expiry))
		}
		if lossSlack > 0 && h.deadline > 0 && h.deadline < h.acquire.Return {
			// The recorded deadline counts from the Acquire call, a bound that says nothing
			// of a hold that waited: the library counts it from the try that took the key,
			// and the holder believes until Lost or Release tell it otherwise (which late
			// bounds).
			h.deadline = 0
		}
		if h.late(lossSlack, horizon) {
			late = append(late, fmt.Sprintf("hold %s (fence %d): its holder was told of its loss %v after its key could have expired",
				h.id, h.acquire.Fence, time.Duration(h.told(horizon)-h.expiry)))
			h.deadline = 0
		}
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
	return ops, holds, late, worstLoss
}

// collect groups the records of one name by hold, in the order the holds first appear, and
// turns every write to the fenced store into an operation.
func collect(recs []Record, clients map[[2]int]int, horizon int64) (order []*hold, ops []porcupine.Operation) {
	byID := map[string]*hold{}
	get := func(r Record) *hold {
		id := fmt.Sprintf("%d/%d", r.Proc, r.Hold)
		h := byID[id]
		if h == nil {
			h = &hold{id: id, client: clientID(clients, r)}
			byID[id] = h
			order = append(order, h)
		}
		return h
	}
	for _, r := range recs {
		if r.Hold == 0 && r.Kind != Write {
			continue
		}
		switch r.Kind {
		case Acquire:
			if r.Outcome == Held {
				h := get(r)
				h.acquire = r
				h.extendTo(r)
			}
		case Release:
			h := get(r)
			h.ends, h.release = append(h.ends, r.Call), firstOf(h.release, r.Call)
		case Lost:
			h := get(r)
			h.ends, h.lost = append(h.ends, r.Call), firstOf(h.lost, r.Call)
		case Extend:
			if r.Outcome == OK {
				get(r).extendTo(r)
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
	return order, ops
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
