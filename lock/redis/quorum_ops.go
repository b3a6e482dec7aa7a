package redis

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/batonlock/baton/internal/redisscript"
	"github.com/batonlock/baton/lock"
)

// errTooSlow: a majority took the lock, but so late that its keys may expire (or have
// expired) before the hold could be used.
var errTooSlow = errors.New("a majority of the nodes answered after the hold's validity ended")

// nodeSet is what a hold on N nodes knows of them.
type nodeSet struct {
	// landed[i] is closed when node i has answered the try, or its call has timed out. A
	// try succeeds on a majority, and the others answer later: Release waits for a node's
	// answer before it frees that node, or the try could land after the release and leave
	// the key taken there for a lease.
	landed []chan struct{}
}

// awaitLanded waits until node has answered the hold's try, or its call has timed out; it
// returns ctx's error if ctx ends first.
func (s *nodeSet) awaitLanded(ctx context.Context, node int) error {
	select {
	case <-s.landed[node]:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// single is false: see nodes.
func (b *Quorum) single() bool { return false }

// try (PROTOCOL.md, "Acquire") runs the acquire script on every node at once and returns
// when a majority took the lock (within its validity: ttl minus the time taken minus the
// drift margin) or cannot. On failure the nodes that took it, or may have, are freed in
// the background. Only ctx ending or Close is returned as an error; node errors are in
// tried.err.
func (b *Quorum) try(ctx context.Context, l *Lock, token string, ttl time.Duration, _ *redisscript.Wait) (tried, error) {
	sent := time.Now()
	landed := make([]chan struct{}, len(b.clients))
	for i := range landed {
		landed[i] = make(chan struct{})
	}
	publish := "PUBLISH" // how the nodes this try took, if it fails, are freed
	c := b.fanout(b.tryNode(l, token, ttl, l.Fence(), landed), func(ctx context.Context, c goredis.UniversalClient) {
		_, _ = redisscript.Release(ctx, c, l.key, l.fenceKey, token, l.channel, publish, 0)
	})
	if c == nil {
		return tried{}, lock.ErrClosed
	}
	oks, fails, err := b.tally(ctx, c)
	if err == nil && len(oks) >= b.need && time.Now().Before(b.cfg.deadline(sent, ttl)) {
		c.decide(true)
		t := tried{took: true}
		for _, r := range oks {
			t.fence = max(t.fence, uint64(r.n))
		}
		b.raiseFence(l, oks, token, t.fence)
		t.nodes = &nodeSet{landed: landed}
		return t, nil
	}
	t := tried{pttl: -1, held: heldByMajority(fails, b.need)}
	if t.held {
		// Another owner holds a majority, and its release will tell the waiters. Freeing
		// the nodes this try took frees nothing anyone can use, and a message would only
		// wake the waiters, this one too, to try again at once.
		publish = ""
	}
	c.decide(false)
	if err != nil {
		return t, err
	}
	if len(oks) >= b.need {
		t.err = fmt.Errorf("%w (took %v of a %v TTL)", errTooSlow, time.Since(sent).Round(time.Millisecond), ttl)
		return t, nil
	}
	t.heldBy(fails)
	t.split = len(oks) > 0 && t.busy // the nodes this try took are being freed
	t.err = errors.Join(nodeErrors(fails)...)
	return t, nil
}

// heldBy records what the nodes that answered no said: whether any holds the key for
// another owner, and the shortest TTL left of those keys (-1: a key without one).
func (t *tried) heldBy(fails []nodeReply) {
	for _, r := range fails {
		if r.err != nil {
			continue
		}
		d := time.Duration(r.n) * time.Millisecond
		if r.n < 0 {
			d = -1
		}
		if !t.busy || (d >= 0 && (t.pttl < 0 || d < t.pttl)) {
			t.pttl = d
		}
		t.busy = true
	}
}

// tryNode returns the try of token on one node, which closes landed[node] once the node
// answered: the fence it gave, or the key's PTTL in ms (-1: none) and its owner.
func (b *Quorum) tryNode(l *Lock, token string, ttl time.Duration, floor uint64, landed []chan struct{}) func(context.Context, int, goredis.UniversalClient) nodeReply {
	return func(ctx context.Context, node int, c goredis.UniversalClient) nodeReply {
		r, err := redisscript.TryAcquire(ctx, c, l.key, l.fenceKey, token, ttl, floor)
		close(landed[node])
		n := int64(r.Fence)
		if !r.OK {
			n = r.PTTL.Milliseconds()
			if r.PTTL < 0 {
				n = -1
			}
		}
		return nodeReply{ok: r.OK, n: n, owner: r.Owner, err: err}
	}
}

// heldByMajority reports whether one owner holds the key on quorum of the nodes that
// answered a try.
func heldByMajority(fails []nodeReply, quorum int) bool {
	owners := make(map[string]int, len(fails))
	for _, r := range fails {
		if r.err == nil {
			if owners[r.owner]++; owners[r.owner] >= quorum {
				return true
			}
		}
	}
	return false
}

// raiseFence makes the fence counter of every node of the majority that gave a smaller
// fence than the hold's at least as large, in the background, so that the next hold, whose
// majority shares a node with this one's, gets a larger fence even if the nodes' clocks
// disagree and this hold's keys expire unreleased; it also writes the hold's fence into
// the key on those nodes (Inspect). A Release does not wait for it: release.lua raises the
// counter of every node it frees itself (PROTOCOL.md, "Fences", 6).
func (b *Quorum) raiseFence(l *Lock, oks []nodeReply, token string, fence uint64) {
	var behind []goredis.UniversalClient
	for _, r := range oks {
		if uint64(r.n) < fence {
			behind = append(behind, b.clients[r.node])
		}
	}
	if len(behind) == 0 || !b.enterN(len(behind)) {
		return
	}
	for _, c := range behind {
		go func() {
			defer b.wg.Done()
			ctx, cancel := context.WithTimeout(b.ctx, b.cfg.nodeTimeout)
			defer cancel()
			_ = redisscript.RaiseFence(ctx, c, l.fenceKey, l.key, token, fence)
		}()
	}
}

// majority runs op on every node and reports whether a majority did it. held is false,
// with a nil error, when so many nodes answered no that a majority cannot have; err joins
// the node errors when the nodes could not decide it, or is ctx's error or ErrClosed.
func (b *Quorum) majority(ctx context.Context, op func(ctx context.Context, node int, c goredis.UniversalClient) (bool, error)) (yes bool, err error) {
	c := b.fanout(func(ctx context.Context, node int, c goredis.UniversalClient) nodeReply {
		ok, err := op(ctx, node, c)
		return nodeReply{ok: ok, err: err}
	}, nil)
	if c == nil {
		return false, lock.ErrClosed
	}
	oks, fails, err := b.tally(ctx, c)
	switch {
	case err != nil:
		return false, err
	case len(oks) >= b.need:
		return true, nil
	case answered(fails) > len(b.clients)-b.need:
		return false, nil
	}
	return false, errors.Join(nodeErrors(fails)...)
}

// release frees h's keys on every node, each once the node has answered h's try, and
// raises each node's fence counter to h's fence as it frees it (release.lua), so that the
// next holder's fence is larger. A Release that Close overtook (the backend takes no more
// node calls) frees the keys as Close does (free).
func (b *Quorum) release(ctx context.Context, l *Lock, h *hold) (ok, granted bool, err error) {
	ok, err = b.majority(ctx, func(ctx context.Context, node int, c goredis.UniversalClient) (bool, error) {
		if err := h.nodes.awaitLanded(ctx, node); err != nil {
			return false, err
		}
		return redisscript.Release(ctx, c, l.key, l.fenceKey, h.token, l.channel, "PUBLISH", h.fence)
	})
	if errors.Is(err, lock.ErrClosed) && ctx.Err() == nil {
		errs := b.freeNodes(ctx, l, h)
		failed := 0
		for _, err := range errs {
			if err != nil {
				failed++
			}
		}
		if failed <= len(b.clients)-b.need {
			return true, false, nil // a majority freed it, as Release asks
		}
		return false, false, errors.Join(errs...)
	}
	return ok, false, err
}

// undo has nothing to do: the nodes a failed try took are freed by its fanout.
func (b *Quorum) undo(*Lock, string) {}

// free frees h's keys on every node for Close (closeHolds), or for a Release that Close
// overtook. The backend takes no more node calls by then (fanout), so it calls the nodes
// itself; like Release, it lets each node's answer to the try land first.
func (b *Quorum) free(ctx context.Context, l *Lock, h *hold) error {
	return errors.Join(b.freeNodes(ctx, l, h)...)
}

// freeNodes is free, with each node's error (nil: freed, or not h's).
func (b *Quorum) freeNodes(ctx context.Context, l *Lock, h *hold) []error {
	errs := make([]error, len(b.clients))
	var wg sync.WaitGroup
	for i, c := range b.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := h.nodes.awaitLanded(ctx, i)
			if err == nil {
				_, err = redisscript.Release(ctx, c, l.key, l.fenceKey, h.token, l.channel, "PUBLISH", h.fence)
			}
			if err != nil {
				errs[i] = fmt.Errorf("node %s: %w", b.addrs[i], err)
			}
		}()
	}
	wg.Wait()
	return errs
}

func (b *Quorum) extend(ctx context.Context, l *Lock, token string, ttl time.Duration) (bool, error) {
	return b.majority(ctx, func(ctx context.Context, _ int, c goredis.UniversalClient) (bool, error) {
		return redisscript.Extend(ctx, c, l.key, token, ttl)
	})
}

func (b *Quorum) exists(ctx context.Context, l *Lock) (bool, error) {
	return b.majority(ctx, func(ctx context.Context, _ int, c goredis.UniversalClient) (bool, error) {
		n, err := c.Exists(ctx, l.key).Result()
		return n > 0, err
	})
}
