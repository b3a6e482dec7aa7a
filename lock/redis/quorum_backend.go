package quorum

import (
	"context"
	"errors"
	"fmt"
	"sync"

	goredis "github.com/redis/go-redis/v9"

	"github.com/batonlock/baton/internal/lease"
	"github.com/batonlock/baton/internal/redisscript"
	"github.com/batonlock/baton/internal/vocab"
	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/driver"
)

// Backend makes locks that live on a majority of N independent Redis masters. Locks with
// the same name and prefix exclude each other across every backend on the same masters.
type Backend struct {
	clients []goredis.UniversalClient
	addrs   []string // for errors: each node's address
	quorum  int      // len(clients)/2 + 1
	owned   bool     // Close closes the clients (they were made from a URL)
	cfg     config
	subs    []*nodeSubscriber
	fences  *redisscript.Counters // one counter key for all nodes (PROTOCOL.md, "Keys")

	ctx    context.Context // background work; cancelled by Close
	cancel context.CancelFunc
	done   chan struct{} // closed by Close

	mu     sync.Mutex
	closed bool
	queues map[string]*waitQueue // names with an Acquire in progress in this process
	holds  map[*hold]struct{}    // holds for Close to end and free
	wg     sync.WaitGroup        // node calls, renewals and expiries at work
}

var _ lock.Backend = (*Backend)(nil)

// New returns a backend whose locks are taken on a majority of clients, each an
// independent master (not replicas of one another, not shards of one cluster). An even
// number of nodes works, but tolerates no more failures than one fewer; 3 or 5 is usual.
// The backend does not own the clients: Close leaves them open, and they must stay open
// until Close returns. Make them with ContextTimeoutEnabled, so that a call on a stalled
// link ends at its node timeout, not at the client's read timeout. Bad options are a
// lock.ErrInvalid error.
func New(clients []goredis.UniversalClient, opts ...Option) (*Backend, error) {
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
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	b := &Backend{
		clients: clients,
		addrs:   addrs,
		quorum:  len(clients)/2 + 1,
		cfg:     cfg,
		done:    make(chan struct{}),
		queues:  make(map[string]*waitQueue),
		holds:   make(map[*hold]struct{}),
		fences:  redisscript.NewCounters(cfg.Prefix, cluster),
	}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	for _, c := range clients {
		b.subs = append(b.subs, newNodeSubscriber(c, cfg.nodeTimeout, b.wakeHead))
	}
	return b, nil
}

// NewLock returns a handle on the named lock. The name and options are validated here (an
// lock.ErrInvalid error); after Close it returns lock.ErrClosed. A handle holds nothing in
// the process or on the nodes until Acquire.
func (b *Backend) NewLock(name string, opts ...lock.Option) (lock.Locker, error) {
	if b.isClosed() {
		return nil, vocab.Err(name, "new lock", lock.ErrClosed)
	}
	o, err := driver.Resolve(name, b.cfg.Defaults, opts...)
	if err != nil {
		return nil, err
	}
	key := b.cfg.Prefix + "{" + name + "}"
	l := &Lock{
		b:        b,
		key:      key,
		fenceKey: b.fences.Key(key),
		channel:  key + ":released",
	}
	l.core = lease.Handle[nodes]{
		Name: name, Kind: "quorum", Opts: o, Sem: make(chan struct{}, 1),
		B: holdsOf{b}, Cfg: &b.cfg.Settings, Renew: l.runExtend, Free: l.freeOnClose,
		ErrTaken: vocab.ErrTaken, ErrNotRenewed: vocab.ErrNotRenewed,
	}
	return l, nil
}

// holdsOf is a Backend as the holds of its locks see it (lease.Backend).
type holdsOf struct{ b *Backend }

func (h holdsOf) Enter() bool              { return h.b.enter(1) }
func (h holdsOf) Leave()                   { h.b.wg.Done() }
func (h holdsOf) Context() context.Context { return h.b.ctx }
func (h holdsOf) Done() <-chan struct{}    { return h.b.done }
func (h holdsOf) AddHold(x *hold) bool     { return h.b.addHold(x) }
func (h holdsOf) DropHold(x *hold)         { h.b.dropHold(x) }
func (h holdsOf) WakeHead(name string)     { h.b.wakeHead(name) }

// Close stops every renewal, ends the subscriptions, and makes Acquire calls that are
// waiting return lock.ErrClosed. The holds it still has are marked lost (their Lost channels
// close) and then released on every node, for at most lease.ReleaseWait, so that other
// processes can take them at once; keys a node could not be told of expire on their own. It
// returns when no goroutine of the backend is left. It closes the clients only when the backend opened them (lock.Open). A
// second Close returns nil.
func (b *Backend) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	close(b.done)
	holds := make([]*hold, 0, len(b.holds))
	for h := range b.holds {
		holds = append(holds, h)
	}
	b.mu.Unlock()

	// Before cancel: a hold's fence raises run under the backend's ctx, and its release
	// waits for them (see Release).
	lease.CloseHolds(holds)
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

func (b *Backend) isClosed() bool {
	select {
	case <-b.done:
		return true
	default:
		return false
	}
}

// enter registers n pieces of background work that Close must wait for; false once closed.
func (b *Backend) enter(n int) bool {
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
	return true
}

func (b *Backend) dropHold(h *hold) {
	b.mu.Lock()
	delete(b.holds, h)
	b.mu.Unlock()
}
