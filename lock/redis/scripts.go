package redis

import (
	"context"
	"time"

	"github.com/batonlock/baton/internal/redisscript"
)

// fenceSlots is how many holds share one fence the server hands out: a hold's Fence() is
// the server's fence × fenceSlots, and each time the hold is passed on inside the process,
// with no round trip, the next hold's fence is one more. A pass leaves the key in the
// process's hands, so no other process can get a fence in between, and the server's next
// fence is at least one more than this one: fenceSlots more in Fence() terms. Passes in a
// row stop at fenceSlots - 1, then the next hold gets a fence from the server again.
const fenceSlots = 16

// tryAcquire runs the acquire script once. It returns the fence when the lock was taken,
// otherwise the key's remaining TTL (-1 when it has none). wait, unless nil, says how the
// try puts the waiter in the lock's queue on the server.
func (l *Lock) tryAcquire(ctx context.Context, token string, ttl time.Duration, wait *redisscript.Wait) (ok bool, fence uint64, pttl time.Duration, err error) {
	if wait == nil {
		ok, fence, pttl, err = redisscript.Acquire(ctx, l.b.scripts, l.key, l.fenceKey, token, ttl)
	} else {
		ok, fence, pttl, err = redisscript.AcquireOrWait(ctx, l.b.scripts, l.key, l.fenceKey, l.queue, token, ttl, *wait)
	}
	return ok, fence * fenceSlots, pttl, err
}

// runRelease frees the lock held by token (for ttl), or grants it to the first waiter
// queued on the server. withdraw also takes token out of that queue: a waiter gives up.
func (l *Lock) runRelease(ctx context.Context, token string, ttl time.Duration, withdraw bool) (redisscript.Released, error) {
	return redisscript.ReleaseOrGrant(ctx, l.b.scripts, l.key, l.fenceKey, l.queue, token, l.channel, l.b.publish, ttl, withdraw)
}

// freeOnClose frees h's key for Close (lease.CloseHolds), granting it on the server to a
// waiter of another process if one is queued: the waiters of this backend have left the
// queues by then.
func (l *Lock) freeOnClose(ctx context.Context, h *hold) error {
	_, err := l.runRelease(ctx, h.Token, h.TTL, false)
	return err
}

func (l *Lock) runExtend(ctx context.Context, token string, ttl time.Duration) (bool, error) {
	return redisscript.Extend(ctx, l.b.scripts, l.key, token, ttl)
}

// runHandoff passes the lock from token to next (for ttl) and returns the new fence; ok is
// false when token did not hold the lock.
func (l *Lock) runHandoff(ctx context.Context, token, next string, ttl time.Duration) (ok bool, fence uint64, err error) {
	ok, fence, err = redisscript.Handoff(ctx, l.b.scripts, l.key, l.fenceKey, token, next, ttl)
	return ok, fence * fenceSlots, err
}
