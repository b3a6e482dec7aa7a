package redis

import (
	"context"
	"errors"
	"fmt"
	"sync"

	goredis "github.com/redis/go-redis/v9"

	"github.com/batonlock/baton/internal/redisscript"
	"github.com/batonlock/baton/internal/vocab"
	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/driver"
)

// Backend makes locks that live on a majority of N independent Redis masters. Locks with
// the same name and prefix exclude each other across every backend on the same masters.
type Quorum struct {
	clients []goredis.UniversalClient
	addrs   []string // for errors: each node's address
	quorum  int      // len(clients)/2 + 1
	owned   bool     // Close closes the clients (they were made from a URL)
	cfg     config
	subs    []*subscriber         // one per node
	fences  *redisscript.Counters // one counter key for all nodes (PROTOCOL.md, "Keys")

	ctx    context.Context // background work; cancelled by Close
	cancel context.CancelFunc
	done   chan struct{} // closed by Close

	mu     sync.Mutex
	closed bool
	queues map[string]*quorumQueue  // names with an Acquire in progress in this process
	holds  map[*quorumHold]struct{} // holds for Close to end and free
	wg     sync.WaitGroup           // node calls, renewals and expiries at work
}

var _ lock.Backend = (*Quorum)(nil)

// New returns a backend whose locks are taken on a majority of clients, each an
// independent master (not replicas of one another, not shards of one cluster). An even
// number of nodes works, but tolerates no more failures than one fewer; 3 or 5 is usual.
// The backend does not own the clients: Close leaves them open, and they must stay open
// until Close returns. Make them with ContextTimeoutEnabled, so that a call on a stalled
// link ends at its node timeout, not at the client's read timeout. Bad options are a
// lock.ErrInvalid error.
func NewQuorum(clients []goredis.UniversalClient, opts ...Option) (*Quorum, error) {
	if len(clients) == 0 {
		return nil, driver.Invalidf("quorum backend: no clients")
	}
	addrs := make([]string, len(clients))
	cluster := false
	for i, c := range clients {
		if c == nil {
			return nil, driver.Invalidf("quorum backend: client %d is nil", i)
		}
		if _, ok := c.(*goredis.ClusterClient); ok {
			cluster = true // per-slot counters serve plain nodes as well
		}
		addrs[i] = fmt.Sprint(i)
		if cc, ok := c.(*goredis.Client); ok {
			addrs[i] = cc.Options().Addr
		}
	}
	cfg := defaultConfig()
	for _, o := range opts {
		if o == nil {
			return nil, driver.Invalidf("quorum backend: nil Option")
		}
		o(&cfg)
	}
	if err := cfg.validateQuorum(); err != nil {
		return nil, err
	}
	b := &Quorum{
		clients: clients,
		addrs:   addrs,
		quorum:  len(clients)/2 + 1,
		cfg:     cfg,
		done:    make(chan struct{}),
		queues:  make(map[string]*quorumQueue),
		holds:   make(map[*quorumHold]struct{}),
		fences:  redisscript.NewCounters(cfg.prefix, cluster),
	}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	for _, c := range clients {
		b.subs = append(b.subs, newSubscriber(c, b.wakeHead, func(name, _ string) { b.wakeHead(name) }, b.nodeError))
	}
	return b, nil
}

// NewLock returns a handle on the named lock. The name and options are validated here (an
// lock.ErrInvalid error); after Close it returns lock.ErrClosed. A handle holds nothing in
// the process or on the nodes until Acquire.
func (b *Quorum) NewLock(name string, opts ...lock.Option) (lock.Locker, error) {
	if b.isClosed() {
		return nil, vocab.Err(name, "new lock", lock.ErrClosed)
	}
	o, err := driver.Resolve(name, b.cfg.defaults, opts...)
	if err != nil {
		return nil, err
	}
	key := b.cfg.prefix + "{" + name + "}"
	l := &quorumLock{
		b:        b,
		key:      key,
		fenceKey: b.fences.Key(key),
		channel:  key + ":released",
	}
	l.core = handle[nodeSet]{
		name: name, kind: "quorum", opts: o, sem: make(chan struct{}, 1),
		b: quorumHolds{b}, cfg: &b.cfg.settings, renew: l.runExtend, free: l.freeOnClose,
		errTaken: vocab.ErrTaken, errNotRenewed: vocab.ErrNotRenewed,
	}
	return l, nil
}

// holdsOf is a Backend as the holds of its locks see it (Backend).
type quorumHolds struct{ b *Quorum }

func (h quorumHolds) enter() bool                { return h.b.enter(1) }
func (h quorumHolds) leave()                     { h.b.wg.Done() }
func (h quorumHolds) context() context.Context   { return h.b.ctx }
func (h quorumHolds) done() <-chan struct{}      { return h.b.done }
func (h quorumHolds) addHold(x *quorumHold) bool { return h.b.addHold(x) }
func (h quorumHolds) dropHold(x *quorumHold)     { h.b.dropHold(x) }
func (h quorumHolds) wakeHead(name string)       { h.b.wakeHead(name) }

// Close stops every renewal, ends the subscriptions, and makes Acquire calls that are
// waiting return lock.ErrClosed. The holds it still has are marked lost (their Lost channels
// close) and then released on every node, for at most releaseWait, so that other
// processes can take them at once; keys a node could not be told of expire on their own. It
// returns when no goroutine of the backend is left. It closes the clients only when the backend opened them (lock.Open). A
// second Close returns nil.
func (b *Quorum) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	close(b.done)
	holds := make([]*quorumHold, 0, len(b.holds))
	for h := range b.holds {
		holds = append(holds, h)
	}
	b.mu.Unlock()

	// Before cancel: a hold's fence raises run under the backend's ctx, and its release
	// waits for them (see Release).
	closeHolds(holds)
	b.cancel()
	closeAll(b.subs)
	b.wg.Wait()
	if !b.owned {
		return nil
	}
	var errs []error
	for _, c := range b.clients {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

func (b *Quorum) isClosed() bool {
	select {
	case <-b.done:
		return true
	default:
		return false
	}
}

// enter registers n pieces of background work that Close must wait for; false once closed.
func (b *Quorum) enter(n int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return false
	}
	b.wg.Add(n)
	return true
}

// addHold registers a new hold; false when the backend is closed.
func (b *Quorum) addHold(h *quorumHold) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return false
	}
	b.holds[h] = struct{}{}
	return true
}

func (b *Quorum) dropHold(h *quorumHold) {
	b.mu.Lock()
	delete(b.holds, h)
	b.mu.Unlock()
}

// nodeError reports a failed pub/sub call of one node to the observer and the log.
func (b *Quorum) nodeError(op string, err error) {
	b.cfg.defaults.Notify(lock.Event{Kind: lock.BackendError, Op: op, Err: err})
	vocab.LogBackendError(b.cfg.defaults.Log(), "", op, err)
}

// closeAll ends the subscriptions of every node at once: each waits for at most closeWait.
func closeAll(subs []*subscriber) {
	var wg sync.WaitGroup
	for _, s := range subs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.close()
		}()
	}
	wg.Wait()
}
