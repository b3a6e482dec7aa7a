package redis

import (
	"context"
	"errors"
	"slices"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/batonlock/baton/internal/redisscript"
	"github.com/batonlock/baton/internal/vocab"
	"github.com/batonlock/baton/lock"
)

// Inspect (PROTOCOL.md, "Inspect") returns what a majority of the nodes says of name: the
// hold whose token is on a majority of them, with the fence and TTL a majority of them
// store (the need-th largest: the hold's fence once its raise has landed), and this
// process's waiters (a quorum queues no waiters on its nodes). It asks every node, each
// bounded by the node timeout, and fails when fewer than a majority answer. A bad name is
// an ErrInvalid error; after Close it returns lock.ErrClosed.
func (b *Quorum) Inspect(ctx context.Context, name string) (lock.Info, error) {
	if err := lock.ValidateName(name); err != nil {
		return lock.Info{}, err
	}
	key := b.cfg.prefix + "{" + name + "}"
	seen, err := b.inspectNodes(ctx, key)
	if err != nil {
		return lock.Info{}, vocab.Err(name, "inspect", err)
	}
	info := lock.Info{Name: name}
	if token, fence, ttl, ok := b.majorityHold(seen); ok {
		info.Holds = []lock.HoldInfo{b.holdInfo(name, token, fence, ttl)}
	}
	b.mu.Lock()
	if q := b.queues[name]; q != nil {
		info.Waiters = len(q.waiters)
	}
	b.mu.Unlock()
	return info, nil
}

// inspectNodes reads key on every node and returns the answers, once every node has
// answered or failed; it is an error when fewer than a majority answered.
func (b *Quorum) inspectNodes(ctx context.Context, key string) ([]redisscript.Seen, error) {
	seen := make([]redisscript.Seen, len(b.clients))
	c := b.fanout(func(ctx context.Context, node int, c goredis.UniversalClient) nodeReply {
		s, err := redisscript.Inspect(ctx, c, key, redisscript.Queue{List: key + ":queue", Hash: key + ":waiters"}) // none on a quorum: keeps the slot
		seen[node] = s
		return nodeReply{ok: err == nil, err: err}
	}, nil)
	if c == nil {
		return nil, lock.ErrClosed
	}
	var answered []redisscript.Seen
	var errs []error
	for range b.clients {
		select {
		case r := <-c.replies:
			if r.err != nil {
				errs = append(errs, r.err)
				continue
			}
			answered = append(answered, seen[r.node])
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-b.done:
			return nil, lock.ErrClosed
		}
	}
	if len(answered) < b.need {
		return nil, errors.Join(errs...)
	}
	return answered, nil
}

// majorityHold finds the token that holds the key on a majority of the nodes, if any, with
// the fence and the TTL that a majority of them store at least. Once the hold's fence has
// been raised on the nodes of its majority that were behind (raise.lua), they all store
// the hold's fence, and a node outside that majority cannot outvote them.
func (b *Quorum) majorityHold(seen []redisscript.Seen) (token string, fence uint64, ttl time.Duration, ok bool) {
	byToken := make(map[string][]redisscript.Seen)
	for _, s := range seen {
		if s.Token != "" {
			byToken[s.Token] = append(byToken[s.Token], s)
		}
	}
	for t, on := range byToken {
		if len(on) < b.need {
			continue
		}
		ttls := make([]time.Duration, 0, len(on))
		fences := make([]uint64, 0, len(on))
		for _, s := range on {
			fences = append(fences, s.Fence)
			ttls = append(ttls, s.PTTL)
		}
		slices.Sort(ttls)
		slices.Sort(fences)
		return t, fences[len(fences)-b.need], ttls[len(ttls)-b.need], true
	}
	return "", 0, 0, false
}
