package redis_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redistest"
	"github.com/batonlock/baton/lock"
	redislock "github.com/batonlock/baton/lock/redis"
)

// deadNodeClient returns a client on a node that is down (its port refuses connections),
// which fails at once, as a crashed redis-server on a live host does (one dial, no retry).
func deadNodeClient(t *testing.T) *goredis.Client {
	s := startServer(t)
	s.Kill()
	c := goredis.NewClient(&goredis.Options{Addr: s.Addr(), MaxRetries: -1, DialerRetries: 1, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func quorumOf(t *testing.T, cs ...goredis.UniversalClient) *redislock.Quorum {
	b, err := redislock.NewQuorum(cs, redislock.WithLogger(quiet))
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// TestQuorumWaiterWokenWithNodeDown: one node of three cannot answer (it
// refuses writes: out of memory; a minority, which a quorum tolerates) and another process
// holds the lock on the other two. A waiter
// must be woken by the holder's release (PROTOCOL.md, "Acquire": "woken early by a
// release"), not find out at its next retry up to a second later.
func TestQuorumWaiterWokenWithNodeDown(t *testing.T) {
	ctx := testCtx(t)
	s1, s2, s3 := startServer(t), startServer(t), startServer(t)
	p2 := redistest.StartProxy(t, s2.Addr())
	oom := newClient(t, s3.Addr())
	require.NoError(t, oom.ConfigSet(ctx, "maxmemory-policy", "noeviction").Err())
	require.NoError(t, oom.ConfigSet(ctx, "maxmemory", "1").Err())
	require.Error(t, oom.Set(ctx, "probe", "x", 0).Err(), "the node must refuse writes")

	holder := quorumOf(t, newClient(t, s1.Addr()), newClient(t, s2.Addr()), newClient(t, s3.Addr()))
	hl := newLock(t, holder, "wake")
	require.NoError(t, hl.Acquire(ctx))

	// The waiter's second node answers a little later than the others.
	p2.SetLatency(20 * time.Millisecond)
	waiter := quorumOf(t, newClient(t, s1.Addr()), newClient(t, p2.Addr()), newClient(t, s3.Addr()))
	wl := newLock(t, waiter, "wake", lock.WithBlocking(eventually))
	got := waitFor(ctx, wl)

	// The waiter must find the name held by a majority, and so subscribe to its release
	// on the nodes that can answer, rather than back off as if the nodes could not decide.
	require.Eventually(t, func() bool { return redislock.Subscribed(waiter, "baton:{wake}:released") >= 2 },
		eventually, time.Millisecond, "the waiter never subscribed to the release")
	require.NoError(t, hl.Release(ctx))
	released := time.Now()
	select {
	case err := <-got:
		require.NoError(t, err)
		t.Logf("acquired %v after the release", time.Since(released))
	case <-time.After(500 * time.Millisecond):
		<-got
		t.Fatalf("the release did not wake the waiter: it acquired %v after the release, at its next retry",
			time.Since(released).Round(time.Millisecond))
	}
	require.NoError(t, wl.Release(ctx))
}

// TestQuorumLockedWithNodeDown: with one node of three down, a free lock is free on
// the other two, a majority: Locked must say false, not fail.
func TestQuorumLockedWithNodeDown(t *testing.T) {
	ctx := testCtx(t)
	s1, s2 := startServer(t), startServer(t)
	p2 := redistest.StartProxy(t, s2.Addr())
	p2.SetLatency(20 * time.Millisecond) // the second live node answers a little later
	b := quorumOf(t, newClient(t, s1.Addr()), newClient(t, p2.Addr()), deadNodeClient(t))
	l := newLock(t, b, "free")
	held, err := l.Locked(ctx)
	require.NoError(t, err, "a majority of the nodes can say the lock is free")
	require.False(t, held)
}

// TestQuorumReleaseDuringClose: a Release that has begun (the hold is out of the
// backend's index, so Close does not free it) when Close begins must still free the key on
// the nodes; otherwise the name stays taken by nobody for a whole lease.
func TestQuorumReleaseDuringClose(t *testing.T) {
	for _, dead := range []bool{false, true} {
		t.Run(map[bool]string{false: "all nodes", true: "one node down"}[dead], func(t *testing.T) {
			ctx := testCtx(t)
			var cs, direct []goredis.UniversalClient
			for range 2 {
				s := startServer(t)
				cs = append(cs, newClient(t, s.Addr()))
				direct = append(direct, newClient(t, s.Addr()))
			}
			if dead {
				cs = append(cs, deadNodeClient(t))
			} else {
				s := startServer(t)
				cs = append(cs, newClient(t, s.Addr()))
				direct = append(direct, newClient(t, s.Addr()))
			}
			b, err := redislock.NewQuorum(cs, redislock.WithLogger(quiet))
			require.NoError(t, err)
			closed := make(chan error, 1)
			b.OnReleasing(func(string) {
				go func() { closed <- b.Close() }()
				require.Eventually(t, func() bool { _, err := b.NewLock("probe"); return errors.Is(err, lock.ErrClosed) },
					eventually, time.Millisecond, "Close never began")
			})
			l := newLock(t, b, "closing")
			require.NoError(t, l.Acquire(ctx))
			require.NoError(t, l.Release(ctx), "a majority of the nodes freed the key")
			require.NoError(t, <-closed)
			for i, c := range direct {
				n, err := c.Exists(ctx, "baton:{closing}").Result()
				require.NoError(t, err)
				require.Zero(t, n, "node %d: the key of a hold released during Close is left for a lease", i)
			}
		})
	}
}

// holdRaise is a go-redis hook that holds the first fence raise (raise.lua: two keys)
// at the client until open is closed or the call's ctx ends.
type holdRaise struct {
	reached chan struct{}
	once    sync.Once
	open    chan struct{}
}

func (h *holdRaise) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (h *holdRaise) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		args := cmd.Args()
		if len(args) > 3 && (args[0] == "evalsha" || args[0] == "eval") {
			if n, _ := args[2].(int); n == 2 {
				first := false
				h.once.Do(func() { first = true; close(h.reached) })
				if first {
					select {
					case <-h.open:
					case <-ctx.Done():
						cmd.SetErr(ctx.Err())
						return ctx.Err()
					}
				}
			}
		}
		return next(ctx, cmd)
	}
}

func (h *holdRaise) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return next
}

// delayTries is a go-redis hook that delays every acquire script (four keys) by d.
type delayTries struct{ d time.Duration }

func (h delayTries) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (h delayTries) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		if args := cmd.Args(); len(args) > 3 && (args[0] == "evalsha" || args[0] == "eval") {
			if n, _ := args[2].(int); n == 4 {
				time.Sleep(h.d)
			}
		}
		return next(ctx, cmd)
	}
}

func (h delayTries) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return next
}

// TestQuorumReleaseRaisesBeforeFreeing: the nodes' clocks disagree (B is an hour ahead),
// so a hold whose majority is A and B gets B's fence, and A's counter must reach it before
// the hold's Release frees A (PROTOCOL.md, "Fences", 6), or the next holder, on A and C,
// gets a smaller fence. The hold's own raise of A is held up at the client until after the
// Release, so only release.lua's raise can save the fence; a Release that waited for the
// raise instead gave up when its ctx ended and freed A unraised.
func TestQuorumReleaseRaisesBeforeFreeing(t *testing.T) {
	ctx := testCtx(t)
	ma, mb, mc := redistest.StartMini(t), redistest.StartMini(t), redistest.StartMini(t)
	mb.SetTime(time.Now().Add(time.Hour))

	raise := &holdRaise{reached: make(chan struct{}), open: make(chan struct{})}
	defer close(raise.open)
	ca, cc := newClient(t, ma.Addr()), newClient(t, mc.Addr())
	ca.AddHook(raise)
	cc.AddHook(delayTries{50 * time.Millisecond}) // the majority is A and B; C answers late
	first, err := redislock.NewQuorum([]goredis.UniversalClient{ca, newClient(t, mb.Addr()), cc},
		redislock.WithLogger(quiet), redislock.WithNodeTimeout(5*time.Second))
	require.NoError(t, err)
	t.Cleanup(func() { _ = first.Close() })
	l1 := newLock(t, first, "fenced")
	require.NoError(t, l1.Acquire(ctx))
	f1 := l1.Fence()
	waitClosed(t, raise.reached, "the fence raise")

	rctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	t.Logf("Release whose ctx ends while the raises are in flight: %v", l1.Release(rctx))

	// Another process, which cannot reach B, takes the lock on A and C once they are free:
	// its majority shares A with the first hold's.
	second := quorumOf(t, newClient(t, ma.Addr()), deadNodeClient(t), newClient(t, mc.Addr()))
	l2 := newLock(t, second, "fenced", lock.WithBlocking(eventually))
	require.NoError(t, l2.Acquire(ctx))
	f2 := l2.Fence()
	require.NoError(t, l2.Release(ctx))
	require.Greater(t, f2, f1, "the fence went down from one hold of the name to the next")
}
