package redis

import (
	"context"
	"sync"

	"github.com/batonlock/baton/internal/redisscript"
	"github.com/batonlock/baton/internal/vocab"
	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/driver"
)

// engine (PROTOCOL.md, "Nodes") is the bookkeeping of a Backend, whatever its nodes (one: a
// server, Sentinel or Cluster; N independent masters, a majority of them, for a Quorum):
// the lifecycle of its background work and holds, its subscribers (one per node), and the
// in-process wait queues (queue.go).
type engine struct {
	cfg  config
	subs []*subscriber // one per node
	need int           // nodes that make a majority: 1 of 1, or N/2+1 of N
	// fences names the fence counters (PROTOCOL.md, "Keys"): per slot on a Cluster, and
	// on a Quorum's nodes when any is one; one key per prefix elsewhere.
	fences *redisscript.Counters

	ctx    context.Context // background work (renewals, undos, node calls); cancelled by Close
	cancel context.CancelFunc
	done   chan struct{} // closed by Close

	mu     sync.Mutex
	closed bool
	queues map[string]*waitQueue // names with an Acquire in progress in this process
	holds  map[*hold]struct{}    // holds for Close to end and free
	held   map[string]int        // holds by name: an index of holds, for heldHere on every try
	queued map[string]queuedWait // tokens queued on the server by waiters at work, by token
	wg     sync.WaitGroup        // renewals, expiries, undos and node calls at work
}

// init readies e for n nodes, of which a majority must answer.
func (e *engine) init(cfg config, n int) {
	e.cfg, e.need = cfg, n/2+1
	e.ctx, e.cancel = context.WithCancel(context.Background())
	e.done = make(chan struct{})
	e.queues = make(map[string]*waitQueue)
	e.holds = make(map[*hold]struct{})
	e.held = make(map[string]int)
	e.queued = make(map[string]queuedWait)
}

// onError reports a failed call that no lock made (pub/sub) to the observer and the log.
func (e *engine) onError(op string, err error) {
	e.cfg.defaults.Notify(lock.Event{Kind: lock.BackendError, Op: op, Err: err})
	vocab.LogBackendError(e.cfg.defaults.Log(), "", op, err)
}

// initHandle readies l, a handle on name.
// Bad options are a lock.ErrInvalid error; after Close it returns lock.ErrClosed.
func (e *engine) initHandle(l *handle, name string, opts []lock.Option) error {
	if e.isClosed() {
		return vocab.Err(name, "new lock", lock.ErrClosed)
	}
	o, err := driver.Resolve(name, e.cfg.defaults, opts...)
	if err != nil {
		return err
	}
	l.name, l.opts, l.sem, l.b, l.cfg = name, o, make(chan struct{}, 1), e, &e.cfg.settings
	l.key = e.cfg.prefix + "{" + name + "}"
	l.fenceKey, l.channel = e.fences.Key(l.key), l.key+":released"
	l.errTaken, l.errNotRenewed = vocab.ErrTaken, vocab.ErrNotRenewed
	return nil
}

// shut marks e closed and returns the holds and server-queued tokens Close must end; ok is
// false when e was closed already.
func (e *engine) shut() (holds []*hold, queued map[string]queuedWait, ok bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, nil, false
	}
	e.closed = true
	close(e.done)
	for h := range e.holds {
		holds = append(holds, h)
	}
	queued, e.queued = e.queued, make(map[string]queuedWait)
	return holds, queued, true
}

// closeSubs ends the subscriptions of every node at once: each waits for at most closeWait.
func (e *engine) closeSubs() {
	var wg sync.WaitGroup
	for _, s := range e.subs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.close()
		}()
	}
	wg.Wait()
}

func (e *engine) isClosed() bool { return isClosed(e.done) }

// enter registers background work that Close must wait for; false once closed.
func (e *engine) enter() bool { return e.enterN(1) }

// enterN registers n pieces of background work; false once closed.
func (e *engine) enterN(n int) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return false
	}
	e.wg.Add(n)
	return true
}

// leave ends a piece of work that enter registered.
func (e *engine) leave() { e.wg.Done() }

// addHold registers a new hold; false when the backend is closed.
func (e *engine) addHold(h *hold) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return false
	}
	e.holds[h] = struct{}{}
	e.held[h.of.name]++
	delete(e.queued, h.token) // Close frees a hold with a release, not a withdrawal
	return true
}

func (e *engine) dropHold(h *hold) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.holds[h]; ok {
		delete(e.holds, h)
		if e.held[h.of.name]--; e.held[h.of.name] == 0 {
			delete(e.held, h.of.name)
		}
	}
}

// heldHere reports whether a hold of this process has the lock name.
func (e *engine) heldHere(name string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.held[name] > 0
}
