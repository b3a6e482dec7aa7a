package redis

import (
	"context"
	"time"

	"github.com/batonlock/baton/internal/redisscript"
)

// tryAcquire runs the acquire script once. It returns the fence when the lock was taken,
// otherwise the key's remaining TTL (-1 when it has none).
func (l *Lock) tryAcquire(ctx context.Context, token string, ttl time.Duration) (ok bool, fence uint64, pttl time.Duration, err error) {
	return redisscript.Acquire(ctx, l.b.scripts, l.key, l.fenceKey, token, ttl)
}

func (l *Lock) runRelease(ctx context.Context, token string) (bool, error) {
	return redisscript.Release(ctx, l.b.scripts, l.key, token, l.channel, l.b.publish)
}

func (l *Lock) runExtend(ctx context.Context, token string, ttl time.Duration) (bool, error) {
	return redisscript.Extend(ctx, l.b.scripts, l.key, token, ttl)
}

// runHandoff passes the lock from token to next (for ttl) and returns the new fence; ok is
// false when token did not hold the lock.
func (l *Lock) runHandoff(ctx context.Context, token, next string, ttl time.Duration) (ok bool, fence uint64, err error) {
	return redisscript.Handoff(ctx, l.b.scripts, l.key, l.fenceKey, token, next, ttl)
}
