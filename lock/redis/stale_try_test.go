package redis_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
	redislock "github.com/batonlock/baton/lock/redis"
)

// stalledTry is a go-redis hook that plays a try whose request is stuck on the network:
// the first script command naming key after it was armed is not sent now, and its caller
// gets an I/O error at once (as on a read timeout); the test delivers the request later
// (land), as TCP does once a stalled route comes back.
type stalledTry struct {
	key   string
	armed atomic.Bool
	mu    sync.Mutex
	args  []any
	took  chan struct{}
}

var errStalled = errors.New("i/o timeout (request stalled on the network)")

func (g *stalledTry) match(cmds ...goredis.Cmder) bool {
	for _, cmd := range cmds {
		if script(cmd) && slices.Contains(cmd.Args(), any(g.key)) && g.armed.CompareAndSwap(true, false) {
			g.mu.Lock()
			g.args = slices.Clone(cmd.Args())
			g.mu.Unlock()
			close(g.took)
			return true
		}
	}
	return false
}

func (g *stalledTry) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (g *stalledTry) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		if g.match(cmd) {
			cmd.SetErr(errStalled)
			return errStalled
		}
		return next(ctx, cmd)
	}
}

func (g *stalledTry) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		if g.match(cmds...) {
			for _, cmd := range cmds {
				cmd.SetErr(errStalled)
			}
			return errStalled
		}
		return next(ctx, cmds)
	}
}

// land delivers the stalled request to the server now.
func (g *stalledTry) land(ctx context.Context, c *goredis.Client) error {
	g.mu.Lock()
	args := g.args
	g.mu.Unlock()
	return c.Do(ctx, args...).Err()
}

// TestStaleTryMissesPassedKey: a hold whose Acquire retried after a try that got no
// reply (the same token, on one node) may still see that first try land later: acquire.lua
// finds the key its own and sets its TTL to the old hold's. Such a hold must not be passed
// in memory (the next hold would keep the token on the key): it was, the stale try cut the
// key's TTL to the first hold's 1 s, and another process took the key while the passed
// hold (20 s timeout) was active and its Lost open: two owners.
func TestStaleTryMissesPassedKey(t *testing.T) {
	s := startServer(t)
	ctx := testCtx(t)
	direct := newClient(t, s.Addr())
	g := &stalledTry{key: "rv2t:{x}", took: make(chan struct{})}
	c := newClient(t, s.Addr())
	c.AddHook(g)
	b := newBackend(t, c, redislock.WithPrefix("rv2t:"))
	other := newBackend(t, newClient(t, s.Addr()), redislock.WithPrefix("rv2t:"))

	a := newLock(t, b, "x", lock.WithTimeout(time.Second))
	bl := newLock(t, b, "x", lock.WithTimeout(20*time.Second))
	rival := newLock(t, other, "x", lock.WithTimeout(10*time.Second), lock.WithBlocking(5*time.Second))

	g.armed.Store(true)
	require.NoError(t, a.Acquire(ctx), "the retry after the stalled try takes the lock")
	waitClosed(t, g.took, "the first try stalled")

	got := waitFor(ctx, bl)
	parked(t, b, "x")
	require.NoError(t, a.Release(ctx))
	require.NoError(t, <-got)
	require.Eventually(t, func() bool {
		ttl, err := direct.PTTL(ctx, "rv2t:{x}").Result()
		return err == nil && ttl > 5*time.Second
	}, eventually, time.Millisecond, "the passed hold did not set its TTL")

	require.NoError(t, g.land(ctx, direct), "the stalled try reaches the server")
	ttl, err := direct.PTTL(ctx, "rv2t:{x}").Result()
	require.NoError(t, err)
	if ttl > 5*time.Second {
		return // the stale try did not touch the passed hold's key
	}
	err = rival.Acquire(ctx)
	if err == nil {
		defer func() { _ = rival.Release(ctx) }()
	}
	select {
	case <-bl.Lost():
		// the passed hold knew its key could expire: at least it did not stay active
	default:
		require.Error(t, err, "two owners: another process took the key (TTL cut to %v by the stale try) while the passed hold is active, its Lost open", ttl)
	}
	t.Fatalf("the stale try of the first hold cut the passed hold's key TTL to %v (hold's timeout 20s); rival: %v", ttl, err)
}
