package redis

import (
	"context"
	"sync"

	"github.com/batonlock/baton/internal/vocab"
	"github.com/batonlock/baton/lock"
)

// The bookkeeping of a Backend (PROTOCOL.md, "Nodes"), whatever its nodes (one: a server,
// Sentinel or Cluster; N independent masters, a majority of them, for a Quorum): the
// lifecycle of its background work and holds, its subscribers (one per node), and the
// in-process wait queues (queue.go).

// init readies b for n nodes, of which a majority must answer.
func (b *Backend) init(cfg config, n int) {
	b.cfg, b.need = cfg, n/2+1
	b.ctx, b.cancel = context.WithCancel(context.Background())
	b.done = make(chan struct{})
	b.triesDone = make(chan struct{})
	b.queues = make(map[string]*waitQueue)
	b.holds = make(map[*hold]struct{})
	b.held = make(map[string]int)
	b.queued = make(map[string]*Lock)
	b.undoing = make(map[string]*Lock)
}

// onError reports a failed call that no lock made (pub/sub) to the observer and the log.
func (b *Backend) onError(op string, err error) {
	b.cfg.defaults.Notify(lock.Event{Kind: lock.BackendError, Op: op, Err: err})
	vocab.LogBackendError(b.cfg.defaults.Log(), "", op, err)
}

// shut marks b closed and returns the holds and server-queued tokens Close must end; ok is
// false when b was closed already.
func (b *Backend) shut() (holds []*hold, queued map[string]*Lock, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, nil, false
	}
	b.closed = true
	close(b.done)
	if b.inTry == 0 {
		close(b.triesDone) // else the last leaveTry closes it
	}
	for h := range b.holds {
		holds = append(holds, h)
	}
	queued, b.queued = b.queued, make(map[string]*Lock)
	for token, l := range b.undoing {
		queued[token] = l // Close cuts the undo short: it withdraws the token itself
	}
	return holds, queued, true
}

// startUndo registers the undo of token (nodes.undo) as background work that Close must
// wait for, and records the token for Close to withdraw while the undo is at work; false
// once closed.
func (b *Backend) startUndo(l *Lock, token string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return false
	}
	b.wg.Add(1)
	b.undoing[token] = l
	return true
}

// endUndo ends the undo of token that startUndo registered.
func (b *Backend) endUndo(token string) {
	b.mu.Lock()
	delete(b.undoing, token)
	b.mu.Unlock()
	b.wg.Done()
}

// closeSubs ends the subscriptions of every node at once: each waits for at most closeWait.
func (b *Backend) closeSubs() {
	var wg sync.WaitGroup
	for _, s := range b.subs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.close()
		}()
	}
	wg.Wait()
}

// isClosed reports whether Close has begun.
func (b *Backend) isClosed() bool { return isClosed(b.done) }

// enter registers background work that Close must wait for, which ends with b.wg.Done();
// false once closed.
func (b *Backend) enter() bool { return b.enterN(1) }

// enterN registers n pieces of background work, each ending with b.wg.Done(); false once
// closed.
func (b *Backend) enterN(n int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return false
	}
	b.wg.Add(n)
	return true
}

// addHold registers a new hold; false when the backend is closed.
func (b *Backend) addHold(h *hold) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return false
	}
	b.holds[h] = struct{}{}
	b.held[h.of.name]++
	delete(b.queued, h.token) // Close frees a hold with a release, not a withdrawal
	return true
}

// dropHold takes h, which has ended, out of the holds Close ends and of the index by name.
func (b *Backend) dropHold(h *hold) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.holds[h]; ok {
		delete(b.holds, h)
		if b.held[h.of.name]--; b.held[h.of.name] == 0 {
			delete(b.held, h.of.name)
		}
	}
}

// heldHere reports whether a hold of this process has the lock name.
func (b *Backend) heldHere(name string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.held[name] > 0
}
