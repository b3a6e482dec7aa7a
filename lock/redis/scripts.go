package redis

import (
	"context"
	"time"

	"github.com/batonlock/baton/internal/redisscript"
)

// clock is what a hold knows of the server clock (PROTOCOL.md, "Fences"): it read server
// µs at or before the local time at. A hold passed on within the process takes the next
// fence without a script only while that stays behind the server clock, so that every
// fence the server hands out later, at least its clock, is larger.
type clock struct {
	server uint64    // server µs
	at     time.Time // local time when it was heard, at or after the server read it
}

// now returns a lower bound of the server clock in µs: the local clock may run up to 1%
// fast against the server's.
func (c clock) now() uint64 {
	if c.server == 0 {
		return 0
	}
	d := time.Since(c.at)
	return c.server + uint64(max(0, (d-d/100)/time.Microsecond))
}

// passable reports whether a hold passed on within the process may take fence without a
// script: the server clock is already past it.
func (c clock) passable(fence uint64) bool { return fence < c.now() }

// tryAcquire runs the acquire script once, with a fence above this handle's last. wait,
// unless nil, says how the try puts the waiter in the lock's queue on the server.
func (l *Lock) tryAcquire(ctx context.Context, token string, ttl time.Duration, wait *redisscript.Wait) (redisscript.Try, error) {
	floor := l.handle.Fence()
	if wait == nil {
		return redisscript.TryAcquire(ctx, l.b.scripts, l.key, l.fenceKey, token, ttl, floor)
	}
	return redisscript.AcquireOrWait(ctx, l.b.scripts, l.key, l.fenceKey, l.queue, token, ttl, floor, *wait)
}

// runRelease frees the lock held by token with fence (0: unknown), or grants it to the
// first waiter queued on the server with a larger fence. withdraw also takes token out of
// that queue: a waiter gives up.
func (l *Lock) runRelease(ctx context.Context, token string, fence uint64, withdraw bool) (redisscript.Released, error) {
	return redisscript.ReleaseOrGrant(ctx, l.b.scripts, l.key, l.fenceKey, l.queue, token, l.channel, l.b.publish, fence, withdraw)
}

// freeOnClose frees h's key for Close (closeHolds), granting it on the server to a
// waiter of another process if one is queued: the waiters of this backend have left the
// queues by then.
func (l *Lock) freeOnClose(ctx context.Context, h *hold) error {
	_, err := l.runRelease(ctx, h.token, h.fence, false)
	return err
}

func (l *Lock) runExtend(ctx context.Context, token string, ttl time.Duration) (bool, error) {
	return redisscript.Extend(ctx, l.b.scripts, l.key, token, ttl)
}

// runHandoff passes the lock from h to next (for ttl), takes next out of the server's queue,
// and returns the new fence, above h's, and the server clock; ok is false when h did not
// hold the lock.
func (l *Lock) runHandoff(ctx context.Context, h *hold, next string, ttl time.Duration) (ok bool, fence uint64, c clock, err error) {
	ok, fence, server, err := redisscript.Handoff(ctx, l.b.scripts, l.key, l.fenceKey, l.queue, h.token, next, ttl, h.fence)
	return ok, fence, clock{server: server, at: time.Now()}, err
}

func (l *Lock) runExists(ctx context.Context) (bool, error) {
	n, err := l.b.client.Exists(ctx, l.key, redisscript.HoldersOf(l.key).Set).Result()
	return n > 0, err
}
