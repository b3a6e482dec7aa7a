package redis

import (
	"context"
	"fmt"
	"sync"

	goredis "github.com/redis/go-redis/v9"

	"github.com/batonlock/baton/lock"
)

// reply is one node's answer to one call.
type nodeReply struct {
	node  int
	ok    bool   // the node did it (took, freed, extended the lock; the key exists)
	n     int64  // acquire: the fence when ok, else the key's PTTL in ms (-1: none)
	owner string // acquire, when not ok: the token that holds the key
	err   error  // the node could not be asked, or did not answer in time
}

// call is one operation sent to every node at once. Its caller tallies the replies until
// the outcome is known, then decides; the nodes that had not answered yet finish in the
// background, bounded by the node timeout.
type nodeCall struct {
	replies chan nodeReply
	decided chan struct{}
	once    sync.Once
	keep    bool // written before decided is closed: the operation succeeded
}

// fanout (PROTOCOL.md, "Nodes") sends op to every node (node is its index in b.clients), each on its own goroutine
// with a ctx bounded by the node timeout and by Close, so that a dead or slow node never
// holds up a majority. When undo is not nil, each node's goroutine waits after its reply
// for the caller's decision and, if the operation failed, runs undo on the nodes that did
// it or may have done it (no answer). It returns nil once the backend is closed.
func (b *Quorum) fanout(op func(ctx context.Context, node int, c goredis.UniversalClient) nodeReply, undo func(ctx context.Context, c goredis.UniversalClient)) *nodeCall {
	if !b.enterN(len(b.clients)) {
		return nil
	}
	c := &nodeCall{replies: make(chan nodeReply, len(b.clients)), decided: make(chan struct{})}
	for i, client := range b.clients {
		go func() {
			defer b.wg.Done()
			ctx, cancel := context.WithTimeout(b.ctx, b.cfg.nodeTimeout)
			r := op(ctx, i, client)
			cancel()
			if r.err != nil {
				r.err = fmt.Errorf("node %s: %w", b.addrs[i], r.err)
			}
			r.node = i
			c.replies <- r
			if undo == nil {
				return
			}
			<-c.decided
			if !c.keep && (r.ok || r.err != nil) {
				ctx, cancel := context.WithTimeout(b.ctx, b.cfg.nodeTimeout)
				undo(ctx, client)
				cancel()
			}
		}()
	}
	return c
}

// tally collects the replies to c until a majority of them are ok, or so many nodes
// answered no that a majority cannot be, or every node has replied. A node that could not
// answer does not end the count: what the others say decides whether the key is held by a
// majority (a waiter then sleeps until the release, not a backoff) or free on one
// (Locked). It stops early, with the error of the call, when ctx ends or the backend closes.
func (b *Quorum) tally(ctx context.Context, c *nodeCall) (oks, fails []nodeReply, err error) {
	n := len(b.clients)
	for len(oks) < b.need && answered(fails) <= n-b.need && len(oks)+len(fails) < n {
		select {
		case r := <-c.replies:
			if r.ok {
				oks = append(oks, r)
			} else {
				fails = append(fails, r)
			}
		case <-ctx.Done():
			return oks, fails, ctx.Err()
		case <-b.done:
			return oks, fails, lock.ErrClosed
		}
	}
	return oks, fails, nil
}

// decide records the outcome and lets the nodes' goroutines finish.
func (c *nodeCall) decide(keep bool) {
	c.once.Do(func() {
		c.keep = keep
		close(c.decided)
	})
}

// answered counts the failed replies that came from a node (not an error).
func answered(fails []nodeReply) (n int) {
	for _, r := range fails {
		if r.err == nil {
			n++
		}
	}
	return n
}

// nodeErrors returns the errors among replies.
func nodeErrors(rs []nodeReply) []error {
	var errs []error
	for _, r := range rs {
		if r.err != nil {
			errs = append(errs, r.err)
		}
	}
	return errs
}
