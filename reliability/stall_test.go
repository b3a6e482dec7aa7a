package reliability_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redistest"
	"github.com/batonlock/baton/lock"
	redislock "github.com/batonlock/baton/lock/redis"
)

// link is a holder's backend behind a proxy and a rival's backend on a direct link, on one
// real server.
type link struct {
	server        *redistest.Server
	proxy         *redistest.Proxy
	holder, rival *redislock.Backend
}

func newLink(t *testing.T, lease time.Duration) *link {
	s := redistest.Start(t)
	p := redistest.StartProxy(t, s.Addr())
	return &link{
		server: s,
		proxy:  p,
		// A margin that covers this process's timer delays under -race on a loaded machine
		// (see RELIABILITY.md: the holder's process must run on time).
		holder: newBackend(t, newClient(t, p.Addr()), redislock.WithLease(lease), redislock.WithDriftMargin(lease/10)),
		rival:  newBackend(t, newClient(t, s.Addr()), redislock.WithLease(lease)),
	}
}

// TestStallLosesHoldInTime: the holder's link stalls for longer than its safe deadline. Its
// Lost fires and Do's ctx ends with ErrLost before the rival, on a direct link, gets the
// lock; the renewal held up by the stall, delivered late, does not touch the rival's hold.
func TestStallLosesHoldInTime(t *testing.T) {
	const lease = 600 * time.Millisecond
	k := newLink(t, lease)
	ctx := testCtx(t)
	tl := &timeline{}

	a := newLock(t, k.holder, "stall")
	inside := make(chan struct{})
	doErr := make(chan error, 1)
	var cause error
	var told time.Time
	go func() {
		doErr <- lock.Do(ctx, a, func(fctx context.Context) error {
			tl.begin("holder", a)
			close(inside)
			<-fctx.Done()
			told, cause = time.Now(), context.Cause(fctx)
			return nil
		})
	}()
	<-inside
	b := newLock(t, k.rival, "stall", lock.WithBlocking(eventually))
	got := make(chan error, 1)
	go func() { got <- b.Acquire(ctx) }()
	time.Sleep(50 * time.Millisecond) // the rival is waiting
	k.proxy.Pause()

	require.NoError(t, <-got, "the rival takes the lock once the stalled hold expired")
	took := time.Now()
	releaseB := tl.begin("rival", b)
	err := <-doErr
	assert.ErrorIs(t, err, lock.ErrLost)
	assert.ErrorIs(t, cause, lock.ErrLost, "Do's ctx ends with ErrLost")
	assert.True(t, told.Before(took), "the holder was told before the rival held the lock")
	assert.True(t, isClosed(a.Lost()))

	// The renewals held up by the stall now reach the server. They carry the holder's token,
	// so they must leave the rival's key alone: the rival's hold goes on being renewed.
	k.proxy.Resume()
	assert.ErrorIs(t, a.Release(ctx), lock.ErrNotHeld)
	time.Sleep(lease)
	assert.False(t, isClosed(b.Lost()), "the rival's hold lives on, renewed")
	held, err := a.Locked(ctx)
	require.NoError(t, err)
	assert.True(t, held, "the holder's handle sees the rival's hold")
	releaseB()
	require.NoError(t, b.Release(ctx))
	ivs := tl.check(t)
	require.Len(t, ivs, 2)
	assert.True(t, ivs[0].lost, "the holder's hold ended by loss")
}

// TestFlappingLinkKeepsHold: connections cut again and again, each time for less than the
// safe deadline, do not lose a leased hold: renewals reconnect and succeed, and no rival
// gets in meanwhile.
func TestFlappingLinkKeepsHold(t *testing.T) {
	const lease = 900 * time.Millisecond
	k := newLink(t, lease)
	ctx := testCtx(t)
	a := newLock(t, k.holder, "flap")
	require.NoError(t, a.Acquire(ctx))
	try := newLock(t, k.rival, "flap", lock.WithBlocking(lock.NoWait))
	cuts := 0
	for end := time.Now().Add(3 * lease); time.Now().Before(end); {
		cuts += k.proxy.Cut()
		time.Sleep(50 * time.Millisecond)
		assert.ErrorIs(t, try.Acquire(ctx), lock.ErrNotAcquired, "a rival got in while the link flapped")
	}
	t.Logf("%d connections cut", cuts)
	assert.Positive(t, cuts)
	assert.False(t, isClosed(a.Lost()), "the hold survived the cuts")
	require.NoError(t, a.Extend(ctx, lease))
	require.NoError(t, a.Release(ctx))
}

// TestCutAndStallLosesHold: the link is cut and stays down (every new connection stalls)
// for longer than the safe deadline: the hold is lost in time, a rival takes it after, and
// the fences say so.
func TestCutAndStallLosesHold(t *testing.T) {
	const lease = 500 * time.Millisecond
	k := newLink(t, lease)
	ctx := testCtx(t)
	tl := &timeline{}
	a := newLock(t, k.holder, "cut")
	require.NoError(t, a.Acquire(ctx))
	tl.begin("holder", a)
	k.proxy.Pause()
	k.proxy.Cut()
	b := newLock(t, k.rival, "cut", lock.WithBlocking(eventually))
	require.NoError(t, b.Acquire(ctx))
	tl.begin("rival", b)()
	assert.True(t, isClosed(a.Lost()), "the holder was told first")
	k.proxy.Resume()
	require.NoError(t, b.Release(ctx))
	tl.check(t)
}

// TestSlowLink: with a round trip longer than the lease, no Acquire through the link
// succeeds: every reply comes after the safe deadline of the write it answers, and such a
// hold is no hold (it used to be returned and lost at once). The Acquire fails at its window
// saying so, and a rival on a direct link takes the lock without overlapping anyone. With a
// round trip well under the lease, holds last. (The
// first renewal must fit between a third of the lease after Acquire returned and the safe
// deadline, which counts from when Acquire sent its request.)
func TestSlowLink(t *testing.T) {
	const lease = 600 * time.Millisecond
	k := newLink(t, lease)
	ctx := testCtx(t)
	tl := &timeline{}

	a := newLock(t, k.holder, "slow")
	// Warm up: a cold link costs several round trips (connection handshake, scripts not
	// loaded yet) that count against the first renewal's time.
	require.NoError(t, a.Acquire(ctx))
	require.NoError(t, a.Release(ctx))
	k.proxy.SetLatency(lease / 20)
	require.NoError(t, a.Acquire(ctx))
	time.Sleep(2 * lease)
	assert.False(t, isClosed(a.Lost()), "a round trip of a tenth of the lease keeps the hold")
	require.NoError(t, a.Release(ctx))

	k.proxy.SetLatency(lease) // a round trip of two leases
	slow := newLock(t, k.holder, "slow", lock.WithBlocking(3*lease))
	err := slow.Acquire(ctx)
	require.ErrorIs(t, err, lock.ErrNotAcquired, "a hold past its safe deadline on arrival is no hold")
	assert.ErrorContains(t, err, "after the hold's validity ended")
	b := newLock(t, k.rival, "slow", lock.WithBlocking(eventually))
	require.NoError(t, b.Acquire(ctx))
	tl.begin("rival", b)()
	require.NoError(t, b.Release(ctx))
	k.proxy.SetLatency(0)
	tl.check(t)
}

// TestStallBoundsAcquire: an Acquire whose link stalls returns at its blocking window or
// its ctx deadline, not when the stall ends (the client honours ctx deadlines, as
// redislock.New asks of a client).
func TestStallBoundsAcquire(t *testing.T) {
	k := newLink(t, time.Second)
	ctx := testCtx(t)
	k.proxy.Pause()
	defer k.proxy.Resume()
	for _, c := range []struct {
		what string
		opts []lock.Option
		wait time.Duration
		want error
	}{
		{"blocking window", []lock.Option{lock.WithBlocking(200 * time.Millisecond)}, 0, lock.ErrNotAcquired},
		{"no wait", []lock.Option{lock.WithBlocking(lock.NoWait)}, 200 * time.Millisecond, context.DeadlineExceeded},
		{"ctx deadline", nil, 200 * time.Millisecond, context.DeadlineExceeded},
	} {
		t.Run(c.what, func(t *testing.T) {
			l := newLock(t, k.holder, "bounded", c.opts...)
			actx := ctx
			if c.wait > 0 {
				var cancel context.CancelFunc
				actx, cancel = context.WithTimeout(ctx, c.wait)
				defer cancel()
			}
			start := time.Now()
			err := l.Acquire(actx)
			took := time.Since(start)
			assert.ErrorIs(t, err, c.want)
			assert.Less(t, took, 2*time.Second, "Acquire returned %v after its deadline", took)
			assert.False(t, errors.Is(err, lock.ErrNotAcquired) && errors.Is(err, context.DeadlineExceeded), "ambiguous: %v", err)
		})
	}
}

// TestStallBoundsAcquireOpenedFromURL: the same, with a backend that lock.Open made from a
// redis:// URL (whose client it configures itself).
func TestStallBoundsAcquireOpenedFromURL(t *testing.T) {
	s := redistest.Start(t)
	p := redistest.StartProxy(t, s.Addr())
	ctx := testCtx(t)
	b, err := lock.Open(ctx, "redis://"+p.Addr()+"/0?lease=1s")
	require.NoError(t, err)
	defer b.Close()
	p.Pause()
	defer p.Resume()
	l := newLock(t, b, "bounded", lock.WithBlocking(200*time.Millisecond))
	start := time.Now()
	err = l.Acquire(ctx)
	took := time.Since(start)
	assert.ErrorIs(t, err, lock.ErrNotAcquired)
	assert.Less(t, took, 2*time.Second, "Acquire returned %v after it was called, with a blocking window of 200ms", took)
}

// TestStalledTryIsUndoneOrExpires: an Acquire gives up while its try is stuck in a stalled
// link; the try reaches the server later and may take the lock for a token nobody holds.
// Acquire undoes such a try in the background, best effort, but the undo can be stuck too
// (or arrive before the try). So the lock may stay taken by no one, for at most one lease:
// a rival gets it within that, and nobody ever believes it holds the ghost.
func TestStalledTryIsUndoneOrExpires(t *testing.T) {
	const lease = time.Second
	k := newLink(t, lease)
	ctx := testCtx(t)
	l := newLock(t, k.holder, "ghost", lock.WithBlocking(100*time.Millisecond))
	require.NoError(t, l.Acquire(ctx)) // warm: connection and scripts
	fence := l.Fence()
	require.NoError(t, l.Release(ctx))

	k.proxy.Pause()
	assert.ErrorIs(t, l.Acquire(ctx), lock.ErrNotAcquired)
	assert.Equal(t, fence, l.Fence(), "no new hold was made")
	time.Sleep(1200 * time.Millisecond) // the undo gives up (after 1s) while still stuck
	resumed := time.Now()
	k.proxy.Resume()

	rival := newLock(t, k.rival, "ghost", lock.WithBlocking(eventually))
	require.NoError(t, rival.Acquire(ctx))
	waited := time.Since(resumed)
	t.Logf("the rival got the lock %v after the link came back (lease %v)", waited.Round(time.Millisecond), lease)
	assert.Less(t, waited, lease+time.Second, "a ghost hold lasts at most a lease")
	require.NoError(t, rival.Release(ctx))
}

// TestSlowColdLink: a hold taken over a slow link on a cold connection (the handshake and
// the script loads cost round trips of their own) is kept by its renewals, which are due a
// third of the lease after Acquire sent its request, not after the slow reply came back.
func TestSlowColdLink(t *testing.T) {
	const lease = 600 * time.Millisecond
	k := newLink(t, lease)
	ctx := testCtx(t)
	k.proxy.SetLatency(lease / 20)
	a := newLock(t, k.holder, "cold")
	start := time.Now()
	require.NoError(t, a.Acquire(ctx))
	t.Logf("Acquire took %v on a cold link", time.Since(start).Round(time.Millisecond))
	time.Sleep(2 * lease)
	assert.False(t, isClosed(a.Lost()), "the renewals kept the hold")
	require.NoError(t, a.Release(ctx))
}
