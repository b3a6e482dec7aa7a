package reliability_test

import (
	"context"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redistest"
	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/quorum"
	redislock "github.com/batonlock/baton/lock/redis"
)

// hangBound is how long a call that must end by a 500ms window or deadline may take before
// the test calls it hung. It bounds a hang; it does not measure speed.
const hangBound = 3 * time.Second

// TestStalledSubscribeBoundsAcquireAndClose: new connections to the server stall while the
// pooled one still answers (a half-dead proxy, a full accept queue). An Acquire whose try
// is answered and which must then subscribe, on a new connection, returns at its blocking
// window or its ctx deadline, and Close returns promptly: the stalled subscription holds up
// neither.
func TestStalledSubscribeBoundsAcquireAndClose(t *testing.T) {
	s := redistest.Start(t)
	p := redistest.StartProxy(t, s.Addr())
	ctx := testCtx(t)
	holder := newLock(t, newBackend(t, newClient(t, s.Addr())), "x")
	require.NoError(t, holder.Acquire(ctx))

	for _, c := range []struct {
		what string
		opts []lock.Option
		wait time.Duration
		want error
	}{
		{"blocking window", []lock.Option{lock.WithBlocking(500 * time.Millisecond)}, 0, lock.ErrNotAcquired},
		{"ctx deadline", nil, 500 * time.Millisecond, context.DeadlineExceeded},
	} {
		t.Run(c.what, func(t *testing.T) {
			p.ReleaseNew()
			b, err := redislock.New(newClient(t, p.Addr()), redislock.WithLogger(quiet))
			require.NoError(t, err)
			defer b.Close() // a second Close, after the one the test times, returns nil
			try := newLock(t, b, "x", lock.WithBlocking(lock.NoWait))
			require.ErrorIs(t, try.Acquire(ctx), lock.ErrNotAcquired, "the pooled connection answers")
			p.HoldNew()

			l := newLock(t, b, "x", c.opts...)
			actx := ctx
			if c.wait > 0 {
				var cancel context.CancelFunc
				actx, cancel = context.WithTimeout(ctx, c.wait)
				defer cancel()
			}
			got := make(chan error, 1)
			go func() { got <- l.Acquire(actx) }()
			select {
			case err := <-got:
				assert.ErrorIs(t, err, c.want)
			case <-time.After(hangBound):
				t.Fatalf("Acquire still waiting %v after it was called", hangBound)
			}

			closed := make(chan error, 1)
			go func() { closed <- b.Close() }()
			select {
			case err := <-closed:
				assert.NoError(t, err)
			case <-time.After(hangBound):
				t.Fatalf("Close still waiting %v after it was called", hangBound)
			}
		})
	}
	p.ReleaseNew()
	require.NoError(t, holder.Release(ctx))
}

// TestStalledSubscribeBoundsQuorum: the same on a quorum of three servers, each behind a
// proxy that holds its new connections: Acquire returns at its blocking window and Close
// promptly, though no node can confirm a subscription.
func TestStalledSubscribeBoundsQuorum(t *testing.T) {
	ctx := testCtx(t)
	var direct, proxied []goredis.UniversalClient
	var proxies []*redistest.Proxy
	for range 3 {
		s := redistest.Start(t)
		p := redistest.StartProxy(t, s.Addr())
		proxies = append(proxies, p)
		direct = append(direct, newClient(t, s.Addr()))
		proxied = append(proxied, newClient(t, p.Addr()))
	}
	hb, err := quorum.New(direct, quorum.WithLogger(quiet))
	require.NoError(t, err)
	defer hb.Close()
	holder := newLock(t, hb, "x")
	require.NoError(t, holder.Acquire(ctx))

	b, err := quorum.New(proxied, quorum.WithLogger(quiet))
	require.NoError(t, err)
	defer b.Close()
	try := newLock(t, b, "x", lock.WithBlocking(lock.NoWait))
	require.ErrorIs(t, try.Acquire(ctx), lock.ErrNotAcquired, "the pooled connections answer")
	for _, p := range proxies {
		p.HoldNew()
	}
	l := newLock(t, b, "x", lock.WithBlocking(500*time.Millisecond))
	got := make(chan error, 1)
	go func() { got <- l.Acquire(ctx) }()
	select {
	case err := <-got:
		assert.ErrorIs(t, err, lock.ErrNotAcquired)
	case <-time.After(hangBound):
		t.Fatalf("Acquire still waiting %v after it was called", hangBound)
	}
	closed := make(chan error, 1)
	go func() { closed <- b.Close() }()
	select {
	case err := <-closed:
		assert.NoError(t, err)
	case <-time.After(hangBound):
		t.Fatalf("Close still waiting %v after it was called", hangBound)
	}
	for _, p := range proxies {
		p.ReleaseNew()
	}
	require.NoError(t, holder.Release(ctx))
}
