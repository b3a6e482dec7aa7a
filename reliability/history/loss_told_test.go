package history_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/batonlock/baton/reliability/history"
)

// Hand-made histories that are unsafe, fed to the checker with the settings TestChaos uses
// for its "all" runs (Permits 1, LossSlack 200 ms, or 5 ms at this scale), recorded the way
// reliability/chaos_cycle_test.go records them (a timed hold's Deadline is its Acquire call
// plus the timeout). Each asserts the verdict a sound checker must give; both passed as
// safe before the checker's fix of 2026-12-08.

// lostAt is the Lost record of hold (p, id), as the Observer writes it.
func lostAt(p, id int, at int64) history.Record {
	return history.Record{Proc: p, Client: id, Kind: history.Lost, Name: "n", Hold: id, Call: at * ms, Return: at * ms}
}

// TestCheckerSeesWaitedTimedHold: a timed hold (TTL 700) whose Acquire waited 900 ms
// for the name. chaos_cycle_test.go records its Deadline as call + TTL = 700, before Acquire
// even returned, and the checker treated the hold as one "never relied on" and dropped it
// from the exclusion check. Yet the library's own deadline is counted from the try that took the
// key (sent ~890 + 700 - drift): its Lost closes at 1580, and until then the holder believes
// and writes. A rival that takes the name at 1000-1005 (a broken acquire.lua stealing a live
// key) overlaps that belief for 100 ms; the only thing that notices is the store refusing
// the old holder's second write, which the model accepts as a stale writer.
func TestCheckerSeesWaitedTimedHold(t *testing.T) {
	recs := h{}.hold(1, 1, 10, 0, 900, 1590). // Acquire waited 900 ms; Release (NotHeld) at 1590
							write(1, 1, 10, 950, 952, history.Accepted). // the holder relies on it
							hold(2, 1, 11, 1000, 1005, 1100).            // a rival steals the live key
							write(2, 1, 11, 1010, 1012, history.Accepted).
							write(1, 1, 10, 1050, 1052, history.Refused) // the first holder still believes
	recs[0].Deadline = 700 * ms // as chaos_cycle_test.go records it: r.Call + h.timeout
	recs[1].Outcome = history.NotHeld
	recs = append(recs, lostAt(1, 1, 1580)) // the library's expiry timer: sent + TTL - drift

	rep := checkWith(t, recs, history.Config{Permits: 1, LossSlack: 200 * time.Millisecond})
	assert.NotEmpty(t, rep.Violations,
		"hold 2/1 began at 1005 while hold 1/1 (Acquire returned at 900, Lost at 1580, Release at 1590) still believed: %s", rep)
}

// TestCheckerFindsLossToldOnlyByRelease: a timed hold (TTL 20, key expired by 25) whose
// Lost never closed on its own: its holder kept writing, and learned of the loss only when
// Release found the hold overdue (lock/redis/gone.go marks it lost there, so the Observer's
// Lost record comes just after the Release call) — or never (no Lost record at all). A
// rival took the expired key at 30, 25 ms before the holder stopped believing. The late-loss
// check (LossSlack) must flag this, as it flags a Lost closing at 40 (TestCheckerFindsLateLoss);
// it passed it, skipping a hold whose Release came before its Lost, or that had no Lost.
func TestCheckerFindsLossToldOnlyByRelease(t *testing.T) {
	base := h{}.hold(1, 1, 10, 0, 5, 55). // Release (NotHeld) called at 55
						hold(2, 1, 11, 28, 30, 40). // the rival takes the expired key
						write(2, 1, 11, 31, 32, history.Accepted).
						write(1, 1, 10, 45, 46, history.Refused) // the first holder still believes
	base[0].Deadline = 20 * ms
	base[1].Outcome = history.NotHeld
	cfg := history.Config{Permits: 1, LossSlack: 5 * time.Millisecond}

	toldByRelease := append(h{}, base...)
	toldByRelease = append(toldByRelease, history.Record{Proc: 1, Client: 1, Kind: history.Lost, Name: "n", Hold: 1, Call: 55*ms + ms/2, Return: 55*ms + ms/2})
	rep := checkWith(t, toldByRelease, cfg)
	assert.NotEmpty(t, rep.Violations, "Lost closed 30 ms after the key could expire (only inside Release): %s", rep)

	neverTold := append(h{}, base...)
	rep = checkWith(t, neverTold, cfg)
	assert.NotEmpty(t, rep.Violations, "Lost never closed; the holder believed until its Release at 55: %s", rep)
}
