// Package redisscript holds the Lua scripts that take, extend, pass on and free a lock on
// one Redis node. The Redis backend (lock/redis) runs them on its one server or cluster;
// the quorum backend (lock/quorum) runs them on each of its independent masters.
//
// A lock lives in a key that holds its owner's token and its fence; the fence counter
// lives in a second key, shared by every lock key of its cluster slot (Counters). The
// layout is lock/redis/PROTOCOL.md's, "Keys" and "Fences". Scripts run with EVALSHA and
// fall back to EVAL.
package redisscript

import (
	"context"
	_ "embed"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

var (
	//go:embed fence.lua
	fenceLua string

	//go:embed busy.lua
	busyLua string

	//go:embed acquire.lua
	acquireLua    string
	acquireScript = goredis.NewScript(fenceLua + busyLua + acquireLua)

	//go:embed wait.lua
	waitLua    string
	waitScript = goredis.NewScript(fenceLua + busyLua + waitLua)

	//go:embed grant.lua
	grantLua    string
	grantScript = goredis.NewScript(fenceLua + grantLua)

	//go:embed release.lua
	releaseLua    string
	releaseScript = goredis.NewScript(releaseLua)

	//go:embed handoff.lua
	handoffLua    string
	handoffScript = goredis.NewScript(fenceLua + handoffLua)

	//go:embed extend.lua
	extendLua    string
	extendScript = goredis.NewScript(extendLua)

	//go:embed raise.lua
	raiseLua    string
	raiseScript = goredis.NewScript(raiseLua)
)

// MS returns d in whole milliseconds, rounded up, at least 1.
func MS(d time.Duration) int64 { return int64(max(1, (d+time.Millisecond-1)/time.Millisecond)) }

// Try is the outcome of an acquire script.
type Try struct {
	OK    bool          // the lock was taken
	Fence uint64        // its fence, when taken
	Clock uint64        // and the server clock, in µs, as the script ran
	PTTL  time.Duration // when not: the key's remaining TTL (-1 when it has none)
	Owner string        // and the owner token it holds
	// Theirs, when not 0: the name is held with WithPermits(Theirs), which disagrees with
	// the caller's n.
	Theirs int
}

// TryAcquire takes the lock for token, for ttl, if it is free, with a new fence above
// floor (the caller's last fence, 0 for none); if token holds it already (a try whose
// reply was lost, or a grant) it sets the TTL and returns the fence it was issued. When
// another token holds it, it tells which, and the key's remaining TTL.
func TryAcquire(ctx context.Context, c goredis.Scripter, key, fenceKey, token string, ttl time.Duration, floor uint64) (Try, error) {
	h := HoldersOf(key)
	return acquireReply(acquireScript.Run(ctx, c, []string{key, fenceKey, h.Set, h.Hash}, token, MS(ttl), floor))
}

// Queue names the two keys of a lock's queue of waiters, in the lock key's cluster slot: a
// list of their tokens and a hash of their entries.
type Queue struct{ List, Hash string }

// Wait is a waiter's place in a lock's queue, for AcquireOrWait.
type Wait struct {
	Life  time.Duration // how long the entry lives after this try; 0: do not queue
	Try   uint64        // the try's number, repeated in the grant message
	Grant time.Duration // the TTL the key gets when the lock is granted to the waiter
}

// AcquireOrWait is TryAcquire for a waiter that, when the lock is held, puts token in the
// lock's queue (or refreshes its entry there) so that the holder's ReleaseOrGrant hands it
// the lock. Taking the lock removes the entry.
func AcquireOrWait(ctx context.Context, c goredis.Scripter, key, fenceKey string, q Queue, token string, ttl time.Duration, floor uint64, w Wait) (Try, error) {
	life := int64(0)
	if w.Life > 0 {
		life = MS(w.Life)
	}
	h := HoldersOf(key)
	return acquireReply(waitScript.Run(ctx, c, []string{key, fenceKey, q.List, q.Hash, h.Set, h.Hash}, token, MS(ttl), floor, life, w.Try, MS(w.Grant)))
}

func acquireReply(cmd *goredis.Cmd) (Try, error) {
	res, err := cmd.Slice()
	if err != nil {
		return Try{}, err
	}
	var taken, n, clock int64
	var owner string
	if len(res) == 2 { // {-1, n}: held with another n
		if taken, _ = res[0].(int64); taken == -1 {
			if n, _ = res[1].(int64); n > 0 {
				return Try{Theirs: int(n)}, nil
			}
		}
	}
	ok := len(res) == 3
	if ok {
		taken, ok = res[0].(int64)
	}
	if ok {
		n, ok = res[1].(int64)
	}
	switch {
	case ok && taken == 1: // {1, fence, server µs}
		if clock, ok = res[2].(int64); ok && n > 0 {
			return Try{OK: true, Fence: uint64(n), Clock: uint64(clock)}, nil
		}
	case ok && taken == 0: // {0, pttl, owner}
		if owner, ok = res[2].(string); ok {
			return Try{PTTL: max(-1, time.Duration(n)*time.Millisecond), Owner: owner}, nil
		}
	}
	return Try{}, fmt.Errorf("acquire script returned %v", res)
}

// Release frees the lock if token holds it and publishes on channel with publish (PUBLISH
// or SPUBLISH; "" frees the key without a message). It first raises the fence counter to
// fence (0: none), the hold's. ok is false when token did not hold it.
func Release(ctx context.Context, c goredis.Scripter, key, fenceKey, token, channel, publish string, fence uint64) (ok bool, err error) {
	n, err := releaseScript.Run(ctx, c, []string{key, fenceKey}, token, channel, publish, fence).Int64()
	return n == 1, err
}

// Released is what ReleaseOrGrant did.
type Released int

// The results of ReleaseOrGrant.
const (
	NotHeld Released = iota // the token did not hold the lock
	Freed                   // the key was deleted and the release published
	Granted                 // the key was handed to the first live waiter of the queue
)

// ReleaseOrGrant frees the lock if token holds it: it hands the key to the first live
// waiter of queue q, with a fence above fence (the releasing hold's; 0: unknown), and
// publishes "granted <token> <try> <fence> <server µs>" on channel; or, when there is no
// live waiter, deletes it and publishes "released". With withdraw, token also leaves the
// queue first: a waiter that gives up calls it in case it was granted the lock meanwhile.
func ReleaseOrGrant(ctx context.Context, c goredis.Scripter, key, fenceKey string, q Queue, token, channel, publish string, fence uint64, withdraw bool) (Released, error) {
	flag := "0"
	if withdraw {
		flag = "1"
	}
	n, err := grantScript.Run(ctx, c, []string{key, fenceKey, q.List, q.Hash}, token, channel, publish, fence, flag).Int64()
	if err != nil {
		return NotHeld, err
	}
	if n < 0 || n > 2 {
		return NotHeld, fmt.Errorf("grant script returned %d", n)
	}
	return Released(n), nil
}

// Extend sets the lock's TTL to ttl if token holds it; ok is false when it does not.
func Extend(ctx context.Context, c goredis.Scripter, key, token string, ttl time.Duration) (ok bool, err error) {
	n, err := extendScript.Run(ctx, c, []string{key}, token, MS(ttl)).Int64()
	return n == 1, err
}

// Handoff passes the lock from token to next (for ttl), with a fence above floor (the old
// hold's), takes next out of the lock's queue q, and returns the new fence and the server
// clock in µs; ok is false when token did not hold the lock.
func Handoff(ctx context.Context, c goredis.Scripter, key, fenceKey string, q Queue, token, next string, ttl time.Duration, floor uint64) (ok bool, fence, clock uint64, err error) {
	res, err := handoffScript.Run(ctx, c, []string{key, fenceKey, q.List, q.Hash}, token, next, MS(ttl), floor).Int64Slice()
	switch {
	case err != nil:
		return false, 0, 0, err
	case len(res) == 1 && res[0] == 0:
		return false, 0, 0, nil
	case len(res) == 3 && res[0] == 1 && res[1] > 0 && res[2] >= 0:
		return true, uint64(res[1]), uint64(res[2]), nil
	}
	return false, 0, 0, fmt.Errorf("handoff script returned %v", res)
}

// RaiseFence makes the fence counter at least fence, so that the next acquisition on this
// node gets a larger one, and the fence stored in key, while token holds it, too: what a
// majority of the nodes store is then the hold's fence.
func RaiseFence(ctx context.Context, c goredis.Scripter, fenceKey, key, token string, fence uint64) error {
	return raiseScript.Run(ctx, c, []string{fenceKey, key}, fence, token).Err()
}
