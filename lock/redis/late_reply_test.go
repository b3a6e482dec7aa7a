package redis_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redistest"
	"github.com/batonlock/baton/lock"
	redislock "github.com/batonlock/baton/lock/redis"
)

// TestLateReplyIsNoHold: a try whose reply comes after the hold's safe deadline (a link
// slower than the timeout, a starved process) took a key that may have expired already,
// and another process may hold it now. Acquire must not return such a hold: it once did,
// and the caller held a lock whose Lost was already due (the soak saw a leased hold lost
// 278 µs after Acquire returned, "the lease was not renewed in time"). It tries again with
// the same token, which finds the key its own and sets its TTL anew; on a link that stays
// this slow no try is ever in time, so Acquire fails at its window, saying why, and the
// key it took is freed.
func TestLateReplyIsNoHold(t *testing.T) {
	s := startServer(t)
	p := redistest.StartProxy(t, s.Addr())
	direct := newClient(t, s.Addr())
	ctx := testCtx(t)
	b := newBackend(t, newClient(t, p.Addr()), redislock.WithPrefix("late:"))
	l := newLock(t, b, "x", lock.WithTimeout(150*time.Millisecond), lock.WithBlocking(time.Second))
	p.SetLatency(100 * time.Millisecond) // each way: every reply comes 200 ms after its try

	err := l.Acquire(ctx)
	if err == nil {
		lost := false
		select {
		case <-l.Lost():
			lost = true
		default:
		}
		_ = l.Release(context.Background())
		t.Fatalf("Acquire returned a hold whose reply came after its safe deadline (Lost closed: %v)", lost)
	}
	assert.ErrorIs(t, err, lock.ErrNotAcquired)
	assert.ErrorContains(t, err, "after the hold's validity ended")

	p.SetLatency(0)
	require.Eventually(t, func() bool {
		n, err := direct.Exists(ctx, "late:{x}").Result()
		return err == nil && n == 0
	}, eventually, 5*time.Millisecond, "the key the late tries took is freed")
	// With a link in time again, the same handle takes the lock.
	require.NoError(t, l.Acquire(ctx))
	require.NoError(t, l.Release(ctx))
}
