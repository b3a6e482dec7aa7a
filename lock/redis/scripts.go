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

// runRelease frees the lock held by token with fence (0: unknown), or grants it to the
// first waiter queued on the server with a larger fence. withdraw also takes token out of
// that queue: a waiter gives up.
func (l *Lock) runRelease(ctx context.Context, token string, fence uint64, withdraw bool) (redisscript.Released, error) {
	return redisscript.ReleaseOrGrant(ctx, l.b.scripts, l.key, l.fenceKey, l.queue, token, l.channel, l.b.publish, fence, withdraw)
}

// withdrawToken takes token, a waiter's, out of l's queue on the server and frees the hold
// a grant gave it meanwhile, with the release script of l's layout: grant.lua with
// withdraw, or, for a lock of several holders, multi_release.lua, which takes any token it
// is given out of the queue (PROTOCOL.md, "Several holders").
func (l *Lock) withdrawToken(ctx context.Context, token string) error {
	if l.multi {
		_, err := redisscript.ReleaseMulti(ctx, l.b.scripts, l.key, l.fenceKey, l.queue, token, l.channel, l.b.publish, 0)
		return err
	}
	_, err := l.runRelease(ctx, token, 0, true)
	return err
}

// runHandoff passes the lock from h to next (for ttl), takes next out of the server's queue,
// and returns the new fence, above h's, and the server clock; ok is false when h did not
// hold the lock.
func (l *Lock) runHandoff(ctx context.Context, h *hold, next string, ttl time.Duration) (ok bool, fence uint64, c clock, err error) {
	ok, fence, server, err := redisscript.Handoff(ctx, l.b.scripts, l.key, l.fenceKey, l.queue, h.token, next, ttl, h.fence)
	return ok, fence, clock{server: server, at: time.Now()}, err
}
