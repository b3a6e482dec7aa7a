package redis_test

import (
	"context"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

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
		g := &gate{}
		slow := newClient(t, addr)
		slow.AddHook(g)
		b := newBackend(t, slow, redislock.WithPrefix("u:"))

		// Two tries held at the client fill the backend's two slots for calls in flight,
		// so the next try waits for a pipeline.
		var busy []*gated
		var got []<-chan error
		for _, name := range []string{"x1", "x2"} {
			busy = append(busy, g.hold("u:{"+name+"}"))
			got = append(got, waitFor(ctx, newLock(t, b, name, lock.WithBlocking(lock.NoWait))))
			waitClosed(t, busy[len(busy)-1].reached, name+"'s try at the client")
		}
		try := g.hold("u:{victim}")
		victim := newLock(t, b, "victim")
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		gave := waitFor(cctx, victim)
		require.Eventually(t, func() bool { return inBatcher() == 3 }, eventually, time.Millisecond,
			"the victim's try never waited for a pipeline")
		for i, h := range busy {
			close(h.open)
			require.NoError(t, <-got[i])
		}
		waitClosed(t, try.reached, "the victim's try in its pipeline")
		cancel()
		require.ErrorIs(t, <-gave, context.Canceled)

		time.Sleep(100 * time.Millisecond) // time enough for an undo that does not wait
		close(try.open)
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

// gate holds at the client, alone or in a pipeline, the first command that names a key it
// was told to hold, until that hold is opened: a slow link for one command.
type gate struct {
	mu    sync.Mutex
	holds map[string]*gated
}

type gated struct {
	reached chan struct{} // closed when the command reaches the gate
	open    chan struct{} // closed by the test to let it go on
}

func (g *gate) hold(key string) *gated {
	h := &gated{reached: make(chan struct{}), open: make(chan struct{})}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.holds == nil {
		g.holds = make(map[string]*gated)
	}
	g.holds[key] = h
	return h
}

// wait holds the commands while one of them names a held key (each hold is used once).
func (g *gate) wait(ctx context.Context, cmds ...goredis.Cmder) error {
	var h *gated
	g.mu.Lock()
	for key, held := range g.holds {
		if slices.ContainsFunc(cmds, func(cmd goredis.Cmder) bool { return slices.Contains(cmd.Args(), any(key)) }) {
			h = held
			delete(g.holds, key)
			break
		}
	}
	g.mu.Unlock()
	if h == nil {
		return nil
	}
	close(h.reached)
	select {
	case <-h.open:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *gate) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (g *gate) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		if err := g.wait(ctx, cmd); err != nil {
			cmd.SetErr(err)
			return err
		}
		return next(ctx, cmd)
	}
}

func (g *gate) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		if err := g.wait(ctx, cmds...); err != nil {
			for _, cmd := range cmds {
				cmd.SetErr(err)
			}
			return err
		}
		return next(ctx, cmds)
	}
}
