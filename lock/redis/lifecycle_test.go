package redis_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redistest"
	"github.com/batonlock/baton/lock"
	redislock "github.com/batonlock/baton/lock/redis"
)

// TestCloseFreesKeys: Close marks a hold lost (its AfterLost hooks run while its key still
// holds, so no one else can hold it yet) and then deletes its key, so that another process
// need not wait out the lease.
func TestCloseFreesKeys(t *testing.T) {
	servers(t, func(t *testing.T, addr string) {
		ctx := testCtx(t)
		c := newClient(t, addr)
		b, err := redislock.New(c, redislock.WithPrefix("close:"), redislock.WithLogger(quiet))
		require.NoError(t, err)
		l := newLock(t, b, "x")
		require.NoError(t, l.Acquire(ctx))
		fired := make(chan int64, 1)
		l.AfterLost(func() {
			n, err := c.Exists(ctx, "close:{x}").Result() // a test may talk to the server here
			assert.NoError(t, err)
			fired <- n
		})
		require.NoError(t, b.Close())
		waitClosed(t, l.Lost(), "Lost after Close")
		assert.Equal(t, int64(1), <-fired, "AfterLost ran after the key was freed: another holder could exist before this one was told")
		n, err := c.Exists(ctx, "close:{x}").Result()
		require.NoError(t, err)
		assert.Zero(t, n, "Close left the key to expire")
		assert.NoError(t, b.Close())
	})
}

// TestReleaseUnreachableLosesHold: a Release whose call never reaches the server (here it
// is held at the client until its ctx ends) ends the hold as lost, rather than silently:
// Lost closes, the error says the hold is lost and why, and the key, no longer renewed, is
// left to expire on the server.
func TestReleaseUnreachableLosesHold(t *testing.T) {
	servers(t, func(t *testing.T, addr string) {
		ctx := testCtx(t)
		direct := newClient(t, addr)
		g := &redistest.Gate{}
		slow := newClient(t, addr)
		slow.AddHook(g)
		ev := &events{}
		l := newLock(t, newBackend(t, slow, redislock.WithPrefix("unreach:")), "x", lock.WithObserver(ev))
		require.NoError(t, l.Acquire(ctx))
		lost := l.Lost()
		held := g.Hold("unreach:{x}")
		var once sync.Once
		t.Cleanup(func() { once.Do(held.Open) })

		rctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		err := l.Release(rctx)
		waitClosed(t, held.Reached(), "the release at the client")
		assert.ErrorIs(t, err, context.DeadlineExceeded, "says why")
		assert.ErrorIs(t, err, lock.ErrLost, "says the hold is lost")
		waitClosed(t, lost, "Lost after a Release that did not reach the server")
		e, ok := ev.find(lock.Lost)
		require.True(t, ok, "the loss is reported")
		assert.ErrorIs(t, e.Err, context.DeadlineExceeded)
		assert.ErrorIs(t, l.Release(ctx), lock.ErrNotHeld, "nothing is left to release")

		ttl, err := direct.PTTL(ctx, "unreach:{x}").Result()
		require.NoError(t, err)
		assert.Greater(t, ttl, time.Duration(0), "the key is left to expire within the lease")
	})
}
