package redisscript_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/batonlock/baton/internal/redisscript"
)

// TestMain fails the run when a test leaves a goroutine behind (a client or a
// subscription left open).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	holdTTL   = time.Minute      // the holder's TTL: long enough never to run out by itself
	life      = 10 * time.Second // a waiter's entry life
	grantTTL  = 3 * time.Second  // the TTL a grant gives the key
	msgWait   = 2 * time.Second  // how long a test waits for a published message
	publishBy = "PUBLISH"
)

// base is the miniredis server clock at the start of every test. The scripts read the
// clock with TIME, which miniredis answers from SetTime; key TTLs only run down with
// FastForward. advance moves both; a test that moves only the clock says so.
var base = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// fixture is one lock on a fresh miniredis, with its keys named after the test.
type fixture struct {
	t       *testing.T
	m       *miniredis.Miniredis
	c       *goredis.Client
	ctx     context.Context
	now     time.Time
	key     string
	fence   string
	q       redisscript.Queue
	channel string
}

func newFixture(t *testing.T, name string) *fixture {
	t.Helper()
	m := miniredis.RunT(t)
	m.SetTime(base)
	c := goredis.NewClient(&goredis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return &fixture{
		t:       t,
		m:       m,
		c:       c,
		ctx:     ctx,
		now:     base,
		key:     "t:{" + name + "}",
		fence:   "t:{" + name + "}:fence",
		q:       redisscript.Queue{List: "t:{" + name + "}:queue", Hash: "t:{" + name + "}:waiters"},
		channel: "t:{" + name + "}:released",
	}
}

// advance moves the server clock and runs the key TTLs down by d.
func (f *fixture) advance(d time.Duration) {
	f.advanceClock(d)
	f.m.FastForward(d)
}

// advanceClock moves only the server clock (what TIME returns): the key TTLs stay put.
func (f *fixture) advanceClock(d time.Duration) {
	f.now = f.now.Add(d)
	f.m.SetTime(f.now)
}

// hold takes the free lock for token with a plain try and returns its fence.
func (f *fixture) hold(token string, ttl time.Duration) uint64 {
	f.t.Helper()
	ok, fence, _, err := redisscript.AcquireOrWait(f.ctx, f.c, f.key, f.fence, f.q, token, ttl, redisscript.Wait{})
	require.NoError(f.t, err)
	require.True(f.t, ok, "%s should take the free lock", token)
	require.NotZero(f.t, fence)
	return fence
}

// try runs AcquireOrWait for token with a hold TTL of holdTTL.
func (f *fixture) try(token string, w redisscript.Wait) (ok bool, fence uint64, pttl time.Duration) {
	f.t.Helper()
	ok, fence, pttl, err := redisscript.AcquireOrWait(f.ctx, f.c, f.key, f.fence, f.q, token, holdTTL, w)
	require.NoError(f.t, err)
	return ok, fence, pttl
}

// queue runs AcquireOrWait for token and requires that it found the lock held.
func (f *fixture) queue(token string, w redisscript.Wait) {
	f.t.Helper()
	ok, _, pttl := f.try(token, w)
	require.False(f.t, ok, "%s should find the lock held", token)
	require.Positive(f.t, pttl, "%s: the holder's key should have a TTL", token)
}

func (f *fixture) release(token string, withdraw bool) redisscript.Released {
	f.t.Helper()
	r, err := redisscript.ReleaseOrGrant(f.ctx, f.c, f.key, f.fence, f.q, token, f.channel, publishBy, holdTTL, withdraw)
	require.NoError(f.t, err)
	return r
}

// subscribe subscribes to the lock's channel and waits for the subscription to be
// confirmed, so that nothing published afterwards is missed.
func (f *fixture) subscribe() *goredis.PubSub {
	f.t.Helper()
	ps := f.c.Subscribe(f.ctx, f.channel)
	f.t.Cleanup(func() { _ = ps.Close() })
	ctx, cancel := context.WithTimeout(f.ctx, msgWait)
	defer cancel()
	_, err := ps.Receive(ctx)
	require.NoError(f.t, err)
	return ps
}

// next returns the next message published on the lock's channel.
func (f *fixture) next(ps *goredis.PubSub) string {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(f.ctx, msgWait)
	defer cancel()
	msg, err := ps.ReceiveMessage(ctx)
	require.NoError(f.t, err, "no message on %s", f.channel)
	require.Equal(f.t, f.channel, msg.Channel)
	return msg.Payload
}

// nextGrant reads the next message, requires that it grants the lock to token on try
// number try, and returns its fence.
func (f *fixture) nextGrant(ps *goredis.PubSub, token string, try uint64) uint64 {
	f.t.Helper()
	msg := f.next(ps)
	parts := strings.Split(msg, " ")
	require.Len(f.t, parts, 4, "grant message %q", msg)
	require.Equal(f.t, "granted", parts[0], "grant message %q", msg)
	require.Equal(f.t, token, parts[1], "grantee in %q", msg)
	require.Equal(f.t, strconv.FormatUint(try, 10), parts[2], "try number in %q", msg)
	fence, err := strconv.ParseUint(parts[3], 10, 64)
	require.NoError(f.t, err, "fence in %q", msg)
	return fence
}

func (f *fixture) list() []string {
	f.t.Helper()
	l, err := f.c.LRange(f.ctx, f.q.List, 0, -1).Result()
	require.NoError(f.t, err)
	return l
}

func (f *fixture) waiters() map[string]string {
	f.t.Helper()
	h, err := f.c.HGetAll(f.ctx, f.q.Hash).Result()
	require.NoError(f.t, err)
	return h
}

// entry is a waiter's hash entry: "<expiry ms> <try> <grant ms>".
type entry struct {
	expiry int64
	try    uint64
	grant  int64
}

func (f *fixture) entry(token string) entry {
	f.t.Helper()
	s, err := f.c.HGet(f.ctx, f.q.Hash, token).Result()
	require.NoError(f.t, err, "entry of %s", token)
	parts := strings.Split(s, " ")
	require.Len(f.t, parts, 3, "entry %q", s)
	var e entry
	e.expiry, err = strconv.ParseInt(parts[0], 10, 64)
	require.NoError(f.t, err, "entry %q", s)
	e.try, err = strconv.ParseUint(parts[1], 10, 64)
	require.NoError(f.t, err, "entry %q", s)
	e.grant, err = strconv.ParseInt(parts[2], 10, 64)
	require.NoError(f.t, err, "entry %q", s)
	return e
}

func (f *fixture) owner() string {
	f.t.Helper()
	v, err := f.c.Get(f.ctx, f.key).Result()
	if err == goredis.Nil {
		return ""
	}
	require.NoError(f.t, err)
	return v
}

func (f *fixture) fenceNow() uint64 {
	f.t.Helper()
	v, err := f.c.Get(f.ctx, f.fence).Uint64()
	require.NoError(f.t, err)
	return v
}

func (f *fixture) pttl(key string) time.Duration {
	f.t.Helper()
	d, err := f.c.PTTL(f.ctx, key).Result()
	require.NoError(f.t, err)
	return d
}

// noKeys asserts that the lock key and both queue keys are gone.
func (f *fixture) noKeys() {
	f.t.Helper()
	for _, k := range []string{f.key, f.q.List, f.q.Hash} {
		assert.False(f.t, f.exists(k), "%s is left", k)
	}
}

func (f *fixture) exists(key string) bool {
	f.t.Helper()
	n, err := f.c.Exists(f.ctx, key).Result()
	require.NoError(f.t, err)
	return n == 1
}

func wait(try uint64, grant time.Duration) redisscript.Wait {
	return redisscript.Wait{Life: life, Try: try, Grant: grant}
}

func TestGrantsInQueueOrder(t *testing.T) {
	f := newFixture(t, "fifo")
	holderFence := f.hold("h", holdTTL)

	f.queue("w1", wait(7, 3*time.Second))
	f.queue("w2", wait(8, 4*time.Second))
	f.queue("w3", wait(9, 5*time.Second))
	require.Equal(t, []string{"w1", "w2", "w3"}, f.list())
	require.Len(t, f.waiters(), 3)

	ps := f.subscribe()

	// A waiter that does not hold the lock cannot release it, nor start the grants.
	assert.Equal(t, redisscript.NotHeld, f.release("w2", false))
	assert.Equal(t, "h", f.owner())
	assert.Equal(t, []string{"w1", "w2", "w3"}, f.list())

	last := holderFence
	for _, w := range []struct {
		token string
		try   uint64
		grant time.Duration
		from  string
		rest  []string
	}{
		{"w1", 7, 3 * time.Second, "h", []string{"w2", "w3"}},
		{"w2", 8, 4 * time.Second, "w1", []string{"w3"}},
		{"w3", 9, 5 * time.Second, "w2", []string{}},
	} {
		require.Equal(t, redisscript.Granted, f.release(w.from, false), "release by %s", w.from)
		fence := f.nextGrant(ps, w.token, w.try)
		assert.Equal(t, f.fenceNow(), fence, "the published fence is the fence key's")
		assert.Greater(t, fence, last, "the grant to %s advances the fence", w.token)
		last = fence
		assert.Equal(t, w.token, f.owner())
		pttl := f.pttl(f.key)
		assert.Positive(t, pttl)
		assert.LessOrEqual(t, pttl, w.grant, "the key gets the grantee's grant TTL")
		assert.Equal(t, w.rest, f.list())
		assert.NotContains(t, f.waiters(), w.token)
	}

	require.Equal(t, redisscript.Freed, f.release("w3", false))
	assert.Equal(t, "released", f.next(ps))
	assert.Empty(t, f.owner())
}

func TestRefreshKeepsPlaceAndUpdatesEntry(t *testing.T) {
	f := newFixture(t, "refresh")
	f.hold("h", holdTTL)

	f.queue("w1", wait(1, 2*time.Second))
	f.queue("w2", wait(1, 2*time.Second))
	first := f.entry("w1")
	assert.Equal(t, entry{expiry: base.Add(life).UnixMilli(), try: 1, grant: 2000}, first)

	f.advance(time.Second)
	f.queue("w1", redisscript.Wait{Life: 20 * time.Second, Try: 2, Grant: 5 * time.Second})
	assert.Equal(t, []string{"w1", "w2"}, f.list(), "a refresh keeps the waiter's place")
	assert.Equal(t, entry{expiry: f.now.Add(20 * time.Second).UnixMilli(), try: 2, grant: 5000}, f.entry("w1"))
	assert.Equal(t, entry{expiry: base.Add(life).UnixMilli(), try: 1, grant: 2000}, f.entry("w2"),
		"another waiter's refresh leaves an entry alone")

	ps := f.subscribe()
	require.Equal(t, redisscript.Granted, f.release("h", false))
	f.nextGrant(ps, "w1", 2)
	pttl := f.pttl(f.key)
	assert.Greater(t, pttl, 2*time.Second, "the grant uses the refreshed grant TTL")
	assert.LessOrEqual(t, pttl, 5*time.Second)
}

func TestExpiredEntryIsSkipped(t *testing.T) {
	f := newFixture(t, "expired")
	f.hold("h", holdTTL)

	f.queue("w1", redisscript.Wait{Life: 2 * time.Second, Try: 1, Grant: grantTTL})
	f.queue("w2", redisscript.Wait{Life: life, Try: 4, Grant: grantTTL})
	// w1's entry expires exactly now: an entry lives until, not through, its expiry.
	f.advance(2 * time.Second)
	require.True(t, f.exists(f.q.Hash), "the queue keys live as long as w2's entry")

	ps := f.subscribe()
	require.Equal(t, redisscript.Granted, f.release("h", false))
	f.nextGrant(ps, "w2", 4)
	assert.Equal(t, "w2", f.owner())
	assert.Empty(t, f.list())
	assert.Empty(t, f.waiters(), "w1's expired entry is deleted as it is skipped")
}

func TestEntryLivesUntilItsExpiry(t *testing.T) {
	f := newFixture(t, "live")
	f.hold("h", holdTTL)

	f.queue("w1", redisscript.Wait{Life: 2 * time.Second, Try: 1, Grant: grantTTL})
	f.queue("w2", redisscript.Wait{Life: life, Try: 1, Grant: grantTTL})
	f.advance(2*time.Second - time.Millisecond)

	ps := f.subscribe()
	require.Equal(t, redisscript.Granted, f.release("h", false))
	f.nextGrant(ps, "w1", 1)
	assert.Equal(t, "w1", f.owner())
	assert.Equal(t, []string{"w2"}, f.list())
}

func TestEntryMissingFromHashIsSkipped(t *testing.T) {
	f := newFixture(t, "missing")
	f.hold("h", holdTTL)

	f.queue("w1", wait(1, grantTTL))
	f.queue("w2", wait(2, grantTTL))
	require.NoError(t, f.c.HDel(f.ctx, f.q.Hash, "w1").Err())
	require.Equal(t, []string{"w1", "w2"}, f.list())

	ps := f.subscribe()
	require.Equal(t, redisscript.Granted, f.release("h", false))
	f.nextGrant(ps, "w2", 2)
	assert.Equal(t, "w2", f.owner())
	assert.Empty(t, f.list(), "w1's token is popped with the skip")
}

func TestReleaseWithoutWaitersFrees(t *testing.T) {
	f := newFixture(t, "free")
	f.hold("h", holdTTL)
	ps := f.subscribe()

	require.Equal(t, redisscript.Freed, f.release("h", false))
	assert.Equal(t, "released", f.next(ps))
	f.noKeys()

	// Released twice: the token no longer holds the lock.
	assert.Equal(t, redisscript.NotHeld, f.release("h", false))
}

func TestReleaseWithOnlyExpiredWaitersFrees(t *testing.T) {
	f := newFixture(t, "stale")
	f.hold("h", holdTTL)
	f.queue("w1", redisscript.Wait{Life: time.Second, Try: 1, Grant: grantTTL})
	f.queue("w2", redisscript.Wait{Life: time.Second, Try: 1, Grant: grantTTL})

	// Only the server clock moves, so the queue keys are still there with both (expired)
	// entries in them: the script has to tell by the entries' expiry.
	f.advanceClock(2 * time.Second)
	require.Equal(t, []string{"w1", "w2"}, f.list())
	require.Len(t, f.waiters(), 2)

	ps := f.subscribe()
	require.Equal(t, redisscript.Freed, f.release("h", false))
	assert.Equal(t, "released", f.next(ps))
	f.noKeys()
}

func TestWithdrawWhileWaiting(t *testing.T) {
	f := newFixture(t, "withdraw")
	f.hold("h", holdTTL)
	f.queue("w1", wait(1, grantTTL))
	f.queue("w2", wait(2, grantTTL))
	f.queue("w3", wait(3, grantTTL))
	ps := f.subscribe()

	// Without withdraw, a waiter's release does not touch its entry.
	require.Equal(t, redisscript.NotHeld, f.release("w2", false))
	require.Equal(t, []string{"w1", "w2", "w3"}, f.list())

	require.Equal(t, redisscript.NotHeld, f.release("w2", true))
	assert.Equal(t, []string{"w1", "w3"}, f.list())
	assert.NotContains(t, f.waiters(), "w2")
	assert.Contains(t, f.waiters(), "w1")
	assert.Contains(t, f.waiters(), "w3")
	assert.Equal(t, "h", f.owner(), "a withdrawal leaves the holder alone")

	// The withdrawal published nothing: the next message is h's grant to w1.
	require.Equal(t, redisscript.Granted, f.release("h", false))
	f.nextGrant(ps, "w1", 1)
}

func TestWithdrawAfterGrantPassesTheLockOn(t *testing.T) {
	f := newFixture(t, "giveup")
	f.hold("h", holdTTL)
	f.queue("w1", wait(1, grantTTL))
	f.queue("w2", wait(2, grantTTL))
	ps := f.subscribe()

	require.Equal(t, redisscript.Granted, f.release("h", false))
	first := f.nextGrant(ps, "w1", 1)

	// w1 gives up without having seen its grant: the lock goes on to w2.
	require.Equal(t, redisscript.Granted, f.release("w1", true))
	second := f.nextGrant(ps, "w2", 2)
	assert.Greater(t, second, first)
	assert.Equal(t, "w2", f.owner())

	// w2 gives up too, with no one left: the lock is freed.
	require.Equal(t, redisscript.Freed, f.release("w2", true))
	assert.Equal(t, "released", f.next(ps))
	f.noKeys()
}

func TestGranteeTakesTheGrantedLock(t *testing.T) {
	f := newFixture(t, "grantee")
	f.hold("h", holdTTL)
	f.queue("w1", wait(1, grantTTL))
	f.queue("w2", wait(1, grantTTL))
	ps := f.subscribe()

	require.Equal(t, redisscript.Granted, f.release("h", false))
	granted := f.nextGrant(ps, "w1", 1)

	ok, fence, _ := f.try("w1", wait(2, grantTTL))
	require.True(t, ok, "the grantee's try finds the lock its own")
	assert.Equal(t, granted, fence, "the try returns the fence of the grant")
	pttl := f.pttl(f.key)
	assert.Greater(t, pttl, grantTTL, "the try sets the key's TTL to the hold's")
	assert.LessOrEqual(t, pttl, holdTTL)
	assert.Equal(t, []string{"w2"}, f.list())
	assert.NotContains(t, f.waiters(), "w1")
	assert.Contains(t, f.waiters(), "w2")
}

func TestAlreadyMineRemovesEntry(t *testing.T) {
	f := newFixture(t, "mine")
	f.hold("h", holdTTL)
	f.queue("w1", wait(1, grantTTL))
	f.queue("w2", wait(1, grantTTL))

	// Handoff gives w1 the lock but leaves its entry, as a grant whose reply was lost
	// followed by a retry of the try would.
	ok, handed, err := redisscript.Handoff(f.ctx, f.c, f.key, f.fence, "h", "w1", grantTTL)
	require.NoError(t, err)
	require.True(t, ok)
	require.Contains(t, f.waiters(), "w1")

	ok, fence, _ := f.try("w1", wait(2, grantTTL))
	require.True(t, ok)
	assert.Equal(t, handed, fence)
	assert.Equal(t, []string{"w2"}, f.list())
	assert.NotContains(t, f.waiters(), "w1")
	assert.Contains(t, f.waiters(), "w2")
}

func TestQueuedWaiterTakingFreeLockLeavesQueue(t *testing.T) {
	f := newFixture(t, "nx")
	holderFence := f.hold("h", time.Second)
	f.queue("w1", wait(1, grantTTL))
	f.queue("w2", wait(1, grantTTL))

	f.advance(2 * time.Second) // h's key expires without a release
	require.False(t, f.exists(f.key))

	ok, fence, _ := f.try("w2", wait(2, grantTTL))
	require.True(t, ok)
	assert.Greater(t, fence, holderFence)
	assert.Equal(t, "w2", f.owner())
	assert.Equal(t, []string{"w1"}, f.list())
	assert.NotContains(t, f.waiters(), "w2")
	assert.Contains(t, f.waiters(), "w1")
}

func TestZeroLifeRecordsNothing(t *testing.T) {
	f := newFixture(t, "nolife")
	f.hold("h", holdTTL)

	f.queue("w1", redisscript.Wait{Try: 1, Grant: grantTTL})
	assert.False(t, f.exists(f.q.List))
	assert.False(t, f.exists(f.q.Hash))

	// Nor does it refresh an entry the waiter already has.
	f.queue("w2", wait(1, grantTTL))
	before := f.entry("w2")
	f.advance(time.Second)
	f.queue("w2", redisscript.Wait{Try: 2, Grant: 5 * time.Second})
	assert.Equal(t, before, f.entry("w2"))
	assert.Equal(t, []string{"w2"}, f.list())
}

func TestQueueKeysExpireWithLife(t *testing.T) {
	f := newFixture(t, "keyttl")
	f.hold("h", holdTTL)

	f.queue("w1", redisscript.Wait{Life: 5 * time.Second, Try: 1, Grant: grantTTL})
	for _, k := range []string{f.q.List, f.q.Hash} {
		pttl := f.pttl(k)
		assert.Positive(t, pttl, k)
		assert.LessOrEqual(t, pttl, 5*time.Second, k)
	}

	// A later write pushes the keys' expiry out again.
	f.advance(3 * time.Second)
	f.queue("w2", redisscript.Wait{Life: 5 * time.Second, Try: 1, Grant: grantTTL})
	for _, k := range []string{f.q.List, f.q.Hash} {
		pttl := f.pttl(k)
		assert.Greater(t, pttl, 2*time.Second, k)
		assert.LessOrEqual(t, pttl, 5*time.Second, k)
	}

	f.advance(5 * time.Second)
	assert.False(t, f.exists(f.q.List))
	assert.False(t, f.exists(f.q.Hash))
}

func TestPlainAcquireAndReleaseIgnoreQueue(t *testing.T) {
	f := newFixture(t, "plain")
	ok, first, _, err := redisscript.Acquire(f.ctx, f.c, f.key, f.fence, "h", holdTTL)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, f.fenceNow(), first)

	f.queue("w1", wait(1, grantTTL))
	wantList, wantHash := f.list(), f.waiters()

	ok, _, pttl, err := redisscript.Acquire(f.ctx, f.c, f.key, f.fence, "x", holdTTL)
	require.NoError(t, err)
	assert.False(t, ok)
	assert.Positive(t, pttl)
	assert.Equal(t, wantList, f.list(), "a failed plain try does not queue")
	assert.Equal(t, wantHash, f.waiters())

	ps := f.subscribe()
	ok, err = redisscript.Release(f.ctx, f.c, f.key, "x", f.channel, publishBy)
	require.NoError(t, err)
	assert.False(t, ok, "x does not hold the lock")

	ok, err = redisscript.Release(f.ctx, f.c, f.key, "h", f.channel, publishBy)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "released", f.next(ps), "a plain release grants nothing")
	assert.False(t, f.exists(f.key))
	assert.Equal(t, wantList, f.list())
	assert.Equal(t, wantHash, f.waiters())

	ok, fence, _, err := redisscript.Acquire(f.ctx, f.c, f.key, f.fence, "w1", holdTTL)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Greater(t, fence, first)
	assert.Equal(t, wantList, f.list(), "a plain take leaves the queue alone")
	assert.Equal(t, wantHash, f.waiters())
}

// TestShortEntryKeepsLongerOnesAlive: a waiter whose entry lives less than those already
// queued does not shorten the queue keys' TTL, which would drop the others' entries.
func TestShortEntryKeepsLongerOnesAlive(t *testing.T) {
	f := newFixture(t, "short")
	f.hold("h", holdTTL)

	f.queue("w1", redisscript.Wait{Life: life, Try: 1, Grant: grantTTL})
	f.queue("w2", redisscript.Wait{Life: time.Second, Try: 1, Grant: grantTTL})
	for _, k := range []string{f.q.List, f.q.Hash} {
		assert.Greater(t, f.pttl(k), 9*time.Second, k)
	}
	f.advance(2 * time.Second)

	ps := f.subscribe()
	require.Equal(t, redisscript.Granted, f.release("h", false))
	f.nextGrant(ps, "w1", 1)
	assert.Equal(t, "w1", f.owner())
}
