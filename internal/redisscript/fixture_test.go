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
		fence:   redisscript.NewCounters("t:", false).Key("t:{" + name + "}"),
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
	got, err := redisscript.AcquireOrWait(f.ctx, f.c, f.key, f.fence, f.q, token, ttl, 0, redisscript.Wait{})
	require.NoError(f.t, err)
	require.True(f.t, got.OK, "%s should take the free lock", token)
	require.NotZero(f.t, got.Fence)
	return got.Fence
}

// try runs AcquireOrWait for token with a hold TTL of holdTTL.
func (f *fixture) try(token string, w redisscript.Wait) (ok bool, fence uint64, pttl time.Duration) {
	f.t.Helper()
	got, err := redisscript.AcquireOrWait(f.ctx, f.c, f.key, f.fence, f.q, token, holdTTL, 0, w)
	require.NoError(f.t, err)
	return got.OK, got.Fence, got.PTTL
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
	r, err := redisscript.ReleaseOrGrant(f.ctx, f.c, f.key, f.fence, f.q, token, f.channel, publishBy, 0, withdraw)
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
// number try, with the server clock, and returns its fence.
func (f *fixture) nextGrant(ps *goredis.PubSub, token string, try uint64) uint64 {
	f.t.Helper()
	msg := f.next(ps)
	parts := strings.Split(msg, " ")
	require.Len(f.t, parts, 5, "grant message %q", msg)
	require.Equal(f.t, "granted", parts[0], "grant message %q", msg)
	require.Equal(f.t, token, parts[1], "grantee in %q", msg)
	require.Equal(f.t, strconv.FormatUint(try, 10), parts[2], "try number in %q", msg)
	fence, err := strconv.ParseUint(parts[3], 10, 64)
	require.NoError(f.t, err, "fence in %q", msg)
	assert.Equal(f.t, strconv.FormatInt(f.now.UnixMicro(), 10), parts[4], "server clock in %q", msg)
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

// owner returns the token the lock key holds ("" when it is free), and requires that the
// key holds "<token> <fence>".
func (f *fixture) owner() string {
	f.t.Helper()
	owner, _ := f.value()
	return owner
}

// value returns the token and the fence the lock key holds ("", 0 when it is free).
func (f *fixture) value() (string, uint64) {
	f.t.Helper()
	v, err := f.c.Get(f.ctx, f.key).Result()
	if err == goredis.Nil {
		return "", 0
	}
	require.NoError(f.t, err)
	token, fence, ok := strings.Cut(v, " ")
	require.True(f.t, ok, "the lock key holds %q, not \"<token> <fence>\"", v)
	n, err := strconv.ParseUint(fence, 10, 64)
	require.NoError(f.t, err, "the lock key holds %q", v)
	return token, n
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
