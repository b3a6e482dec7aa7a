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

	"github.com/batonlock/baton/internal/redistest"
	"github.com/batonlock/baton/lock"
	redislock "github.com/batonlock/baton/lock/redis"
)

// TestStaleExtendMissesPassedKey: an Extend of a timed hold that is in flight when its
// handle's Release passes the lock to another handle of the process must not land on the
// new hold's key. A pass in memory keeps the old token on the key, so the stale Extend
// (here to 50 ms) set the TTL of a key that was the new hold's, which then expired under
// it: two owners. A hold with a write in flight is now passed by script, under a new token.
func TestStaleExtendMissesPassedKey(t *testing.T) {
	s := startServer(t)
	ctx := testCtx(t)
	direct := newClient(t, s.Addr())
	g := &redistest.Gate{}
	slow := newClient(t, s.Addr())
	slow.AddHook(g)
	b := newBackend(t, slow, redislock.WithPrefix("rx:"))
	other := newBackend(t, newClient(t, s.Addr()), redislock.WithPrefix("rx:"))

	a := newLock(t, b, "x", lock.WithTimeout(20*time.Second))
	bl := newLock(t, b, "x", lock.WithTimeout(10*time.Second))
	rival := newLock(t, other, "x", lock.WithTimeout(10*time.Second), lock.WithBlocking(lock.NoWait))

	require.NoError(t, a.Acquire(ctx))
	got := waitFor(ctx, bl)
	parked(t, b, "x")

	held := g.Hold("rx:{x}")
	var once sync.Once
	t.Cleanup(func() { once.Do(held.Open) })
	extended := make(chan error, 1)
	go func() { extended <- a.Extend(ctx, 50*time.Millisecond) }()
	waitClosed(t, held.Reached(), "the Extend at the client")

	require.NoError(t, a.Release(ctx))
	require.NoError(t, <-got)
	// The new hold sets its own TTL (its first renewal): at most its 10 s timeout.
	require.Eventually(t, func() bool {
		ttl, err := direct.PTTL(ctx, "rx:{x}").Result()
		return err == nil && ttl > 0 && ttl <= 10*time.Second
	}, eventually, time.Millisecond, "the passed hold did not set its TTL")

	once.Do(held.Open) // the old hold's Extend reaches the server now
	require.ErrorIs(t, <-extended, lock.ErrNotHeld, "the Extend of a hold that was passed on")

	ttl, err := direct.PTTL(ctx, "rx:{x}").Result()
	require.NoError(t, err)
	require.Greater(t, ttl, time.Second, "the old hold's Extend set the TTL of the new hold's key")
	require.ErrorIs(t, rival.Acquire(ctx), lock.ErrNotAcquired, "another process took the lock of an active hold")
	select {
	case <-bl.Lost():
		t.Fatal("the hold passed on was lost")
	default:
	}
	require.NoError(t, bl.Release(ctx))
}

// TestExtendedTimedHoldPassedInMemory: a hold with a timeout extended well past it
// (Extend(5s) on a 200 ms timeout) that releases after its own timeout, but long before
// the Extend's end, passes the lock in memory with the TTL its Extend set. It passed the
// old timeout as the key's TTL instead (min(keyTTL, ttl)), so the waiter found the pass
// late and gave it up: the key kept the released hold's token for 5 s, held by nobody,
// though Release returned nil.
func TestExtendedTimedHoldPassedInMemory(t *testing.T) {
	s := startServer(t)
	ctx := testCtx(t)
	direct := newClient(t, s.Addr())
	b := newBackend(t, newClient(t, s.Addr()), redislock.WithPrefix("rl:"))

	a := newLock(t, b, "x", lock.WithTimeout(200*time.Millisecond))
	w := newLock(t, b, "x", lock.WithTimeout(5*time.Second), lock.WithBlocking(time.Second))

	require.NoError(t, a.Acquire(ctx))
	require.NoError(t, a.Extend(ctx, 5*time.Second))
	extended := time.Now()
	got := waitFor(ctx, w)
	parked(t, b, "x")
	// Past the hold's own timeout, counted from its Extend; the hold lasts 5 s from then.
	time.Sleep(time.Until(extended.Add(300 * time.Millisecond)))
	select {
	case <-a.Lost():
		t.Fatal("the extended hold was lost")
	default:
	}
	require.NoError(t, a.Release(ctx))
	err := <-got
	if err == nil {
		_ = w.Release(ctx)
		return
	}
	ttl, _ := direct.PTTL(ctx, "rl:{x}").Result()
	t.Fatalf("after a Release that returned nil, the waiter of the process could not take the lock within 1 s: %v (the released key still lives %v)", err, ttl)
}

// lostReply is a go-redis hook that loses the reply to the first script command naming key
// after it was armed: the server runs the command, and the caller gets its ctx's error.
type lostReply struct {
	key   string
	armed atomic.Bool
}

func (g *lostReply) match(cmds ...goredis.Cmder) bool {
	for _, cmd := range cmds {
		if script(cmd) && slices.Contains(cmd.Args(), any(g.key)) && g.armed.CompareAndSwap(true, false) {
			return true
		}
	}
	return false
}

func (g *lostReply) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (g *lostReply) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		err := next(ctx, cmd)
		if err == nil && g.match(cmd) {
			<-ctx.Done()
			cmd.SetErr(ctx.Err())
			return ctx.Err()
		}
		return err
	}
}

func (g *lostReply) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		err := next(ctx, cmds)
		if err == nil && g.match(cmds...) {
			<-ctx.Done()
			for _, cmd := range cmds {
				cmd.SetErr(ctx.Err())
			}
			return ctx.Err()
		}
		return err
	}
}

// TestUnansweredExtendShortensDeadline: an Extend of a hold with a timeout to less than
// it has left, whose reply is lost (its ctx ends after the server ran it), must shorten the
// hold's deadline: the key may now expire in 50 ms. Leaving the hold "as it was" kept its
// deadline seconds away, and another process took the key while Lost was still open.
func TestUnansweredExtendShortensDeadline(t *testing.T) {
	s := startServer(t)
	ctx := testCtx(t)
	direct := newClient(t, s.Addr())
	g := &lostReply{key: "rs:{x}"}
	c := newClient(t, s.Addr())
	c.AddHook(g)
	b := newBackend(t, c, redislock.WithPrefix("rs:"))
	other := newBackend(t, newClient(t, s.Addr()), redislock.WithPrefix("rs:"))
	l := newLock(t, b, "x", lock.WithTimeout(10*time.Second))
	rival := newLock(t, other, "x", lock.WithTimeout(10*time.Second))

	require.NoError(t, l.Acquire(ctx))
	g.armed.Store(true)
	ectx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	err := l.Extend(ectx, 50*time.Millisecond)
	cancel()
	require.Error(t, err, "the Extend's reply was lost")

	require.Eventually(t, func() bool {
		n, err := direct.Exists(ctx, "rs:{x}").Result()
		return err == nil && n == 0
	}, 2*time.Second, time.Millisecond, "the Extend did not reach the server")
	require.NoError(t, rival.Acquire(ctx))
	defer func() { _ = rival.Release(ctx) }()
	select {
	case <-l.Lost():
	default:
		t.Fatalf("two owners: another process holds the lock (fence %d) while this hold (fence %d) is active, Lost open", rival.Fence(), l.Fence())
	}
}

// slowReply is a go-redis hook that holds the reply to the first script command naming
// key after it was armed, after the server ran it, until open is closed.
type slowReply struct {
	key     string
	armed   atomic.Bool
	reached chan struct{}
	open    chan struct{}
}

func (g *slowReply) hold(cmds ...goredis.Cmder) {
	for _, cmd := range cmds {
		if script(cmd) && slices.Contains(cmd.Args(), any(g.key)) && g.armed.CompareAndSwap(true, false) {
			close(g.reached)
			<-g.open
			return
		}
	}
}

func (g *slowReply) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (g *slowReply) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		err := next(ctx, cmd)
		g.hold(cmd)
		return err
	}
}

func (g *slowReply) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		err := next(ctx, cmds)
		g.hold(cmds...)
		return err
	}
}

// TestCloseDuringHandoffFreesKey: a Release that passes the lock by script (handoff.lua:
// a leased waiter after a hold with a timeout) while Close runs: the script gives the key
// to the waiter's token, and the waiter's hold is refused (ErrClosed). The key must be
// freed, not left held by nobody for the whole lease (30 s), which Close is meant to
// prevent ("so that other processes can take them at once").
func TestCloseDuringHandoffFreesKey(t *testing.T) {
	s := startServer(t)
	ctx := testCtx(t)
	direct := newClient(t, s.Addr())
	g := &slowReply{key: "rc:{x}", reached: make(chan struct{}), open: make(chan struct{})}
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(g.open) }) })
	c := newClient(t, s.Addr())
	c.AddHook(g)
	b, err := redislock.New(c, redislock.WithLogger(quiet), redislock.WithPrefix("rc:"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })

	a := newLock(t, b, "x", lock.WithTimeout(10*time.Second))
	w := newLock(t, b, "x") // leased: passed by script after a hold with a timeout
	require.NoError(t, a.Acquire(ctx))
	got := waitFor(ctx, w)
	parked(t, b, "x")

	g.armed.Store(true)
	released := make(chan error, 1)
	go func() { released <- a.Release(ctx) }()
	waitClosed(t, g.reached, "the hand-off ran on the server")
	closed := make(chan error, 1)
	go func() { closed <- b.Close() }()
	require.Eventually(t, func() bool {
		_, err := b.NewLock("y")
		return errors.Is(err, lock.ErrClosed)
	}, eventually, time.Millisecond)
	once.Do(func() { close(g.open) })

	rerr := <-released
	werr := <-got
	require.NoError(t, <-closed)
	if werr == nil {
		return // the waiter holds: Close would have had to free it
	}
	n, err := direct.Exists(ctx, "rc:{x}").Result()
	require.NoError(t, err)
	ttl, _ := direct.PTTL(ctx, "rc:{x}").Result()
	if n == 1 {
		t.Fatalf("after Release (%v), the waiter's Acquire (%v) and Close, the key is still held for %v by nobody", rerr, werr, ttl)
	}
}
