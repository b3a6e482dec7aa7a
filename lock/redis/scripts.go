package redis

import (
	"context"
	_ "embed"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

var (
	//go:embed acquire.lua
	acquireLua    string
	acquireScript = goredis.NewScript(acquireLua)

	//go:embed release.lua
	releaseLua    string
	releaseScript = goredis.NewScript(releaseLua)

	//go:embed handoff.lua
	handoffLua    string
	handoffScript = goredis.NewScript(handoffLua)

	//go:embed extend.lua
	extendLua    string
	extendScript = goredis.NewScript(extendLua)
)

// fenceTTL is how long a fence key outlives the last acquisition of its name: long enough
// that the server clock (the fallback fence) has moved past every fence handed out.
func fenceTTL(ttl time.Duration) time.Duration { return max(24*time.Hour, 10*ttl) }

func ms(d time.Duration) int64 { return int64(max(1, (d+time.Millisecond-1)/time.Millisecond)) }

// tryAcquire runs the acquire script once. It returns the fence when the lock was taken,
// otherwise the key's remaining TTL (-1 when it has none).
func (l *Lock) tryAcquire(ctx context.Context, token string, ttl time.Duration) (ok bool, fence uint64, pttl time.Duration, err error) {
	res, err := acquireScript.Run(ctx, l.b.client, []string{l.key, l.fenceKey},
		token, ms(ttl), ms(fenceTTL(ttl))).Int64Slice()
	if err != nil {
		return false, 0, 0, err
	}
	if len(res) != 2 {
		return false, 0, 0, fmt.Errorf("acquire script returned %v", res)
	}
	if res[0] == 1 {
		return true, uint64(res[1]), 0, nil
	}
	if res[1] < 0 {
		return false, 0, -1, nil
	}
	return false, 0, time.Duration(res[1]) * time.Millisecond, nil
}

func (l *Lock) runRelease(ctx context.Context, token string) (bool, error) {
	n, err := releaseScript.Run(ctx, l.b.client, []string{l.key}, token, l.channel, l.b.publish).Int64()
	return n == 1, err
}

func (l *Lock) runExtend(ctx context.Context, token string, ttl time.Duration) (bool, error) {
	n, err := extendScript.Run(ctx, l.b.client, []string{l.key}, token, ms(ttl)).Int64()
	return n == 1, err
}

// runHandoff passes the lock from token to next (for ttl) and returns the new fence; ok is
// false when token did not hold the lock.
func (l *Lock) runHandoff(ctx context.Context, token, next string, ttl time.Duration) (ok bool, fence uint64, err error) {
	n, err := handoffScript.Run(ctx, l.b.client, []string{l.key, l.fenceKey},
		token, next, ms(ttl), ms(fenceTTL(ttl))).Int64()
	if err != nil || n < 0 {
		return false, 0, err
	}
	return true, uint64(n), nil
}
