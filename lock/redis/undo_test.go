package redis_test

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redistest"
	"github.com/batonlock/baton/lock"
	redislock "github.com/batonlock/baton/lock/redis"
)

// TestUndoAfterAbandonedPipeline: an Acquire whose ctx ends while its try is in a pipeline
// on the way to the server returns at once, and its undo frees the lock only after that
// try has run. An undo sent at once could reach the server first, find nothing to free,
// and leave the key taken by nobody for a lease.
func TestUndoAfterAbandonedPipeline(t *testing.T) {
	servers(t, func(t *testing.T, addr string) {
		ctx := testCtx(t)
		c := newClient(t, addr)
		g := &redistest.Gate{}
		slow := newClient(t, addr)
		slow.AddHook(g)
		b := newBackend(t, slow, redislock.WithPrefix("u:"))

		// Two tries held at the client fill the backend's two slots for calls in flight,
		// so the next try waits for a pipeline.
		var busy []*redistest.Held
		var got []<-chan error
		for _, name := range []string{"x1", "x2"} {
			busy = append(busy, g.Hold("u:{"+name+"}"))
			got = append(got, waitFor(ctx, newLock(t, b, name, lock.WithBlocking(lock.NoWait))))
			waitClosed(t, busy[len(busy)-1].Reached(), name+"'s try at the client")
		}
		try := g.Hold("u:{victim}")
		victim := newLock(t, b, "victim")
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		gave := waitFor(cctx, victim)
		require.Eventually(t, func() bool { return inBatcher() == 3 }, eventually, time.Millisecond,
			"the victim's try never waited for a pipeline")
		for i, h := range busy {
			h.Open()
			require.NoError(t, <-got[i])
		}
		waitClosed(t, try.Reached(), "the victim's try in its pipeline")
		cancel()
		require.ErrorIs(t, <-gave, context.Canceled)

		time.Sleep(100 * time.Millisecond) // time enough for an undo that does not wait
		try.Open()
		require.Eventually(t, func() bool {
			n, err := c.Exists(ctx, "u:{victim}").Result()
			return err == nil && n == 0
		}, eventually, 5*time.Millisecond, "the undo ran before the try it undoes: the key is left taken")
		other := newLock(t, newBackend(t, c, redislock.WithPrefix("u:")), "victim", lock.WithBlocking(lock.NoWait))
		require.NoError(t, other.Acquire(ctx))
		require.NoError(t, other.Release(ctx))
	})
}

// inBatcher counts the goroutines in a call to the backends' script batcher.
func inBatcher() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	return strings.Count(string(buf), "redisbatch.(*Batcher).do(")
}
