package redis

import (
	"cmp"
	"slices"
	"time"

	"context"

	"github.com/batonlock/baton/internal/redisscript"
	"github.com/batonlock/baton/internal/vocab"
	"github.com/batonlock/baton/lock"
)

var (
	_ lock.Inspector = (*Backend)(nil)
	_ lock.Inspector = (*Quorum)(nil)
)

// Inspect (PROTOCOL.md, "Inspect") returns who holds name now, with the fence stored with
// the hold and the TTL its key has left on the server (for a lease, how long until it would
// expire unrenewed), and how many Acquire calls wait for it: those of this process and
// those of other processes queued on the server. It is one read-only script. A bad name is
// an ErrInvalid error; after Close it returns lock.ErrClosed; a server error is returned
// as is, and ctx bounds the call.
func (b *Backend) Inspect(ctx context.Context, name string) (lock.Info, error) {
	if err := lock.ValidateName(name); err != nil {
		return lock.Info{}, err
	}
	if b.isClosed() {
		return lock.Info{}, vocab.Err(name, "inspect", lock.ErrClosed)
	}
	key := b.cfg.prefix + "{" + name + "}"
	seen, err := redisscript.Inspect(ctx, b.scripts, key, redisscript.Queue{List: key + ":queue", Hash: key + ":waiters"})
	if err != nil {
		return lock.Info{}, vocab.Err(name, "inspect", err)
	}
	info := lock.Info{Name: name}
	if seen.Token != "" {
		info.Holds = []lock.HoldInfo{b.holdInfo(name, seen.Token, seen.Fence, seen.PTTL)}
	}
	// The holders set (PROTOCOL.md, "Several holders"), in the order the holds began:
	// the order of their fences.
	slices.SortFunc(seen.Holds, func(x, y redisscript.SeenHold) int { return cmp.Compare(x.Fence, y.Fence) })
	for _, h := range seen.Holds {
		hi := b.holdInfo(name, h.Token, h.Fence, h.TTL)
		hi.Shared = seen.N == 1
		info.Holds = append(info.Holds, hi)
	}
	info.Waiters = b.waitersOf(name, seen.Waiters)
	return info, nil
}

// waitersOf counts the waiters of name: this process's, and those of the server's live
// tokens that are not this process's (its own head waiter is queued there too, as an
// exclusive waiter or a permit waiter).
func (b *Backend) waitersOf(name string, tokens []string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, head := 0, ""
	if q := b.queues[name]; q != nil {
		n = len(q.waiters)
		if n > 0 {
			head = q.waiters[0].awaits // a permit waiter, queued with its own token
		}
	}
	for _, t := range tokens {
		if _, mine := b.queued[t]; !mine && t != head {
			n++
		}
	}
	return n
}

// holdInfo describes the hold of name by token, seen on the server with fence and ttl left.
// A hold of this process speaks for itself: a hold passed on within the process keeps the
// key (and its token) with a fence the key does not show (PROTOCOL.md, "Fences", 5).
func (b *Backend) holdInfo(name, token string, fence uint64, ttl time.Duration) lock.HoldInfo {
	hi := lock.HoldInfo{Owner: redisscript.OwnerOf(token), Fence: fence, TTL: ttl}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.held[name] == 0 {
		return hi
	}
	for h := range b.holds {
		if h.of.name == name && h.token == token {
			hi.Owner, hi.Fence = h.of.opts.Owner, h.fence
		}
	}
	return hi
}
