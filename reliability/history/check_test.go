package history_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/reliability/history"
)

// h builds hand-made histories: times are in ms from 0.
type h []history.Record

const ms = int64(time.Millisecond)

// hold adds a hold of process p: Acquire called at call, returned at ret with fence, and let
// go (Release called) at rel.
func (x h) hold(p, id int, fence uint64, call, ret, rel int64) h {
	return append(x,
		history.Record{Proc: p, Client: id, Kind: history.Acquire, Name: "n", Hold: id, Call: call * ms, Return: ret * ms, Outcome: history.Held, Fence: fence},
		history.Record{Proc: p, Client: id, Kind: history.Release, Name: "n", Hold: id, Call: rel * ms, Return: rel*ms + ms, Outcome: history.OK, Fence: fence})
}

func (x h) write(p, id int, fence uint64, call, ret int64, outcome string) h {
	return append(x, history.Record{Proc: p, Client: id, Kind: history.Write, Name: "n", Hold: id, Call: call * ms, Return: ret * ms, Outcome: outcome, Fence: fence})
}

func check(t *testing.T, recs h, permits int) history.Report {
	t.Helper()
	return checkWith(t, recs, history.Config{Permits: permits})
}

func checkWith(t *testing.T, recs h, cfg history.Config) history.Report {
	t.Helper()
	dir := t.TempDir()
	cfg.Timeout, cfg.Dir, cfg.Label = 10*time.Second, dir, t.Name()
	rep, err := history.Check(recs, cfg)
	require.NoError(t, err)
	for _, v := range rep.Violations {
		matches, _ := filepath.Glob(filepath.Join(dir, "*.html"))
		require.NotEmpty(t, matches, "a violation writes its visualisation: %s", v)
	}
	return rep
}

func TestCheckerAcceptsAGoodHistory(t *testing.T) {
	recs := h{}.hold(1, 1, 10, 0, 5, 20).write(1, 1, 10, 6, 8, history.Accepted).
		hold(2, 1, 11, 3, 22, 40).write(2, 1, 11, 23, 25, history.Accepted).
		write(1, 1, 10, 30, 31, history.Refused) // a stale writer, refused
	rep := check(t, recs, 1)
	assert.Empty(t, rep.Violations)
	assert.Equal(t, 2, rep.Holds)
	assert.Equal(t, 3, rep.Writes)
	assert.Equal(t, 1, rep.Refused)
}

func TestCheckerFindsOverlap(t *testing.T) {
	// The second hold begins (its Acquire returns at 15) while the first holder believes until 20.
	recs := h{}.hold(1, 1, 10, 0, 5, 20).hold(2, 1, 11, 3, 15, 40)
	assert.Len(t, check(t, recs, 1).Violations, 1, "exclusive")
	assert.Empty(t, check(t, recs, 2).Violations, "two permits allow two holds")
	assert.Empty(t, check(t, recs, 0).Violations, "fences only")
}

func TestCheckerFindsFenceGoingDown(t *testing.T) {
	recs := h{}.hold(1, 1, 10, 0, 5, 20).hold(2, 1, 9, 21, 22, 40)
	assert.Len(t, check(t, recs, 1).Violations, 1)
	assert.Len(t, check(t, recs, 0).Violations, 1, "the fence rule holds without exclusion too")
	same := h{}.hold(1, 1, 10, 0, 5, 20).hold(2, 1, 10, 21, 22, 40)
	assert.NotEmpty(t, check(t, same, 1).Violations, "a fence handed out twice")

	unordered := history.Config{Permits: 0, Unordered: true}
	assert.Empty(t, checkWith(t, recs, unordered).Violations, "unordered: a falling fence is allowed")
	rep := checkWith(t, same, unordered)
	require.Len(t, rep.Violations, 1, "unordered: a fence handed out twice is not")
	assert.Contains(t, rep.Violations[0], "fence 10 given to hold 1/1 and to hold 2/1")
}

func TestCheckerFindsStoreAcceptingStaleWrite(t *testing.T) {
	recs := h{}.hold(1, 1, 10, 0, 5, 20).hold(2, 1, 11, 21, 22, 40).
		write(2, 1, 11, 23, 24, history.Accepted).write(1, 1, 10, 25, 26, history.Accepted)
	assert.Len(t, check(t, recs, 0).Violations, 1)
	refusedFresh := h{}.hold(1, 1, 10, 0, 5, 20).write(1, 1, 10, 6, 7, history.Refused)
	assert.Len(t, check(t, refusedFresh, 1).Violations, 1, "a store refusing a write above its mark is broken too")
}

func TestCheckerFailedWriteMayHaveTakenEffect(t *testing.T) {
	recs := h{}.hold(1, 1, 10, 0, 5, 20).write(1, 1, 12, 6, 7, history.Failed).
		hold(2, 1, 11, 21, 22, 40).write(2, 1, 11, 23, 24, history.Refused)
	assert.Empty(t, check(t, recs, 1).Violations)
}

func TestCheckerEndsHoldAtItsDeadlineOrLoss(t *testing.T) {
	// The first holder calls Release at 50, but its safe deadline was 20 and a rival took the
	// lock at 30: the hold ended at 20, as far as anyone may rely on it.
	timed := h{}.hold(1, 1, 10, 0, 5, 50).hold(2, 1, 11, 25, 30, 60)
	timed[0].Deadline = 20 * ms
	assert.Empty(t, check(t, timed, 1).Violations)
	timed[0].Deadline = 35 * ms
	assert.Len(t, check(t, timed, 1).Violations, 1, "a deadline past the rival's start")

	lost := h{}.hold(1, 1, 10, 0, 5, 50).hold(2, 1, 11, 25, 30, 60)
	lost = append(lost, history.Record{Proc: 1, Client: 1, Kind: history.Lost, Name: "n", Hold: 1, Call: 20 * ms, Return: 20 * ms})
	assert.Empty(t, check(t, lost, 1).Violations)
	lost[len(lost)-1].Call = 40 * ms
	assert.Len(t, check(t, lost, 1).Violations, 1, "Lost closed after the rival began")

	extended := h{}.hold(1, 1, 10, 0, 5, 50).hold(2, 1, 11, 25, 30, 60)
	extended[0].Deadline = 20 * ms
	extended = append(extended, history.Record{Proc: 1, Client: 1, Kind: history.Extend, Name: "n", Hold: 1, Call: 10 * ms, Return: 11 * ms, Outcome: history.OK, Deadline: 40 * ms})
	assert.Len(t, check(t, extended, 1).Violations, 1, "an Extend moved the deadline past the rival's start")
}

func TestCheckerFindsLateLoss(t *testing.T) {
	// A hold with a 20 ms timeout returned at 5, so its key expired by 25; its holder was told
	// at 40, and a rival that took the expired key at 30 overlaps what it believed.
	recs := h{}.hold(1, 1, 10, 0, 5, 50).hold(2, 1, 11, 25, 30, 60)
	recs[0].Deadline = 20 * ms
	recs = append(recs, history.Record{Proc: 1, Client: 1, Kind: history.Lost, Name: "n", Hold: 1, Call: 40 * ms, Return: 40 * ms})
	assert.Empty(t, check(t, recs, 1).Violations, "without a loss slack the hold ends at its deadline")
	rep := checkWith(t, recs, history.Config{Permits: 1, LossSlack: 5 * time.Millisecond})
	require.Len(t, rep.Violations, 2, "late, and so overlapping")
	assert.Contains(t, rep.Violations[0], "told of its loss 15ms after its key could have expired")

	recs[len(recs)-1].Call = 29 * ms // within the slack, and before the rival: no violation
	assert.Empty(t, checkWith(t, recs, history.Config{Permits: 1, LossSlack: 5 * time.Millisecond}).Violations)
}

func TestCheckerHoldWhoseDeadlinePassedBeforeItBegan(t *testing.T) {
	// The second Acquire, called at 5, returns at 30 with a fence above the first hold's:
	// it was granted after 20. Its deadline (call + timeout = 10) passed before it returned,
	// so its holder never relied on it, and it is no violation.
	recs := h{}.hold(1, 1, 11, 0, 2, 20).hold(2, 1, 12, 5, 30, 40)
	recs[2].Deadline = 10 * ms
	assert.Empty(t, check(t, recs, 1).Violations)
}

func TestCheckerBoundsAndOverruns(t *testing.T) {
	recs := h{}.hold(1, 1, 10, 0, 5, 20).hold(1, 2, 11, 20, 25, 30)
	recs[0].Limit = 3 * ms
	recs = append(recs, history.Record{Proc: 1, Kind: history.Close, Call: 30 * ms, Return: 40 * ms, Limit: 32 * ms})
	rep, err := history.Check(recs, history.Config{Permits: 1, Timeout: time.Second, MaxOps: 3, Dir: t.TempDir()})
	require.Error(t, err, "4 operations, bound 3")
	assert.Contains(t, err.Error(), "bound 3")
	assert.Equal(t, 2*time.Millisecond, rep.AcquireOverrun)
	assert.Equal(t, 8*time.Millisecond, rep.CloseOverrun)
}

func TestRecorderRoundTrip(t *testing.T) {
	dir := t.TempDir()
	rec, err := history.Create(filepath.Join(dir, "p1.jsonl"))
	require.NoError(t, err)
	want := history.Record{Proc: 1, Client: 2, Kind: history.Acquire, Name: "x", Hold: 3, Call: history.Now(), Outcome: history.Held, Fence: 1 << 52}
	want.Return = history.Now()
	rec.Add(want)
	require.NoError(t, rec.Close())
	require.NoError(t, os.WriteFile(filepath.Join(dir, "p2.jsonl"), nil, 0o600))
	got, err := history.Load(filepath.Join(dir, "*.jsonl"))
	require.NoError(t, err)
	require.Equal(t, []history.Record{want}, got)
	assert.GreaterOrEqual(t, want.Return, want.Call, "CLOCK_MONOTONIC does not go back")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "p3.jsonl"), []byte("{not json\n"), 0o600))
	_, err = history.Load(filepath.Join(dir, "*.jsonl"))
	require.ErrorContains(t, err, "p3.jsonl:1")
}
