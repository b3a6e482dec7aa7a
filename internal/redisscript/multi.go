package redisscript

import (
	"context"
	_ "embed"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

var (
	//go:embed multi.lua
	multiLua    string
	multiScript = goredis.NewScript(fenceLua + multiLua)

	//go:embed multi_release.lua
	multiReleaseLua    string
	multiReleaseScript = goredis.NewScript(fenceLua + multiReleaseLua)

	//go:embed multi_extend.lua
	multiExtendLua    string
	multiExtendScript = goredis.NewScript(multiExtendLua)
)

// Holders names the keys of the several-holders layout of a lock (PROTOCOL.md, "Several
// holders"), in the lock key's slot: a sorted set of the holds' tokens scored by their
// expiry (server clock, ms), and a hash of each token's fence and of the name's n ("@n").
type Holders struct{ Set, Hash string }

// HoldersOf returns the holders keys of the lock at key.
func HoldersOf(key string) Holders { return Holders{Set: key + ":holders", Hash: key + ":fences"} }

// TryMulti takes one of the n holds of the lock at key (n = 1: a shared hold) for token, for
// ttl, with a new fence above floor, unless the lock is full, held exclusively, or (shared)
// an exclusive waiter is queued in q, or (n > 1) live waiters queued in q before token are
// owed the free permits. When it is not taken, PTTL says when the first hold in the way
// expires (-1: unknown); Theirs, when the name is held with another n. With n > 1 and
// w.Life > 0, a try that is not taken puts token in q (or refreshes its entry), so that a
// release grants it a permit (ReleaseMulti); taking a hold takes it out.
func TryMulti(ctx context.Context, c goredis.Scripter, key, fenceKey string, q Queue, token string, ttl time.Duration, floor uint64, n int, w Wait) (Try, error) {
	h := HoldersOf(key)
	life := int64(0)
	if w.Life > 0 && n > 1 {
		life = MS(w.Life)
	}
	res, err := multiScript.Run(ctx, c, []string{key, fenceKey, h.Set, h.Hash, q.Hash, q.List}, token, MS(ttl), floor, n, life, w.Try, MS(w.Grant)).Slice()
	if err != nil {
		return Try{}, err
	}
	if len(res) == 2 {
		code, _ := res[0].(int64)
		v, ok := res[1].(int64)
		switch {
		case ok && code == -1:
			return Try{Theirs: int(v)}, nil
		case ok && code == 0:
			return Try{PTTL: max(-1, time.Duration(v)*time.Millisecond)}, nil
		}
	}
	if len(res) == 3 {
		fence, ok1 := res[1].(int64)
		clock, ok2 := res[2].(int64)
		if ok1 && ok2 && fence > 0 {
			return Try{OK: true, Fence: uint64(fence), Clock: uint64(clock)}, nil
		}
	}
	return Try{}, fmt.Errorf("multi script returned %v", res)
}

// ReleaseMulti takes token out of q and frees its hold of the several-holders layout; the
// freed permits go to the first live waiters of q, each told by "granted …" on channel,
// with a fence above fence (0: unknown); with none, "released" is published. ok is false
// when token held none.
func ReleaseMulti(ctx context.Context, c goredis.Scripter, key, fenceKey string, q Queue, token, channel, publish string, fence uint64) (ok bool, err error) {
	r, err := ReleaseMultiTo(ctx, c, key, fenceKey, q, token, channel, publish, fence, Next{})
	return r.OK, err
}

// Next is a waiter of the releasing process that ReleaseMultiTo admits, when the queue
// owes it a freed permit, with its own TTL and no message: it sleeps until the releaser
// hands it the reply (PROTOCOL.md, "Permit hand-off").
type Next struct {
	Token string        // "": none
	TTL   time.Duration // of its hold
}

// ReleasedMulti is what ReleaseMultiTo did.
type ReleasedMulti struct {
	OK     bool   // the token held a hold, and it was freed
	Passed bool   // the Next waiter was admitted
	Fence  uint64 // and its fence
	Clock  uint64 // and the server clock in µs as the script ran
}

// ReleaseMultiTo is ReleaseMulti that admits next, instead of telling it by message, when
// the turn of its entry in q comes among the freed permits.
func ReleaseMultiTo(ctx context.Context, c goredis.Scripter, key, fenceKey string, q Queue, token, channel, publish string, fence uint64, next Next) (ReleasedMulti, error) {
	h := HoldersOf(key)
	args := []any{token, channel, publish, fence}
	if next.Token != "" {
		args = append(args, next.Token, MS(next.TTL))
	}
	res, err := multiReleaseScript.Run(ctx, c, []string{h.Set, h.Hash, fenceKey, q.List, q.Hash}, args...).Int64Slice()
	switch {
	case err != nil:
		return ReleasedMulti{}, err
	case len(res) != 3 || res[1] < 0 || res[2] < 0:
		return ReleasedMulti{}, fmt.Errorf("multi release script returned %v", res)
	}
	return ReleasedMulti{OK: res[0] == 1, Passed: res[1] > 0, Fence: uint64(res[1]), Clock: uint64(res[2])}, nil
}

// ExtendMulti makes token's hold of the several-holders layout expire ttl from now; ok is
// false when it holds none (or it had expired).
func ExtendMulti(ctx context.Context, c goredis.Scripter, key, token string, ttl time.Duration) (ok bool, err error) {
	h := HoldersOf(key)
	n, err := multiExtendScript.Run(ctx, c, []string{h.Set, h.Hash}, token, MS(ttl)).Int64()
	return n == 1, err
}
