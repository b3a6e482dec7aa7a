package redis

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	goredis "github.com/redis/go-redis/v9"

	"github.com/batonlock/baton/internal/redisbatch"
	"github.com/batonlock/baton/internal/redischeck"
	"github.com/batonlock/baton/internal/redisscript"
	"github.com/batonlock/baton/internal/vocab"
	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/driver"
)

// Backend makes locks that live on a Redis server (single, Sentinel or Cluster). Locks with
// the same name and prefix exclude each other across every backend on the server.
type Backend struct {
	client  goredis.UniversalClient
	scripts *redisbatch.Batcher // runs the scripts: concurrent calls share pipelines
	owned   bool                // Close closes client (it was made from a URL)
	publish string              // PUBLISH, or SPUBLISH on a cluster
	fences  *redisscript.Counters
	cfg     config
	subs    *subscriber

	ctx    context.Context // background work (renewals); cancelled by Close
	cancel context.CancelFunc
	done   chan struct{} // closed by Close

	mu     sync.Mutex
	closed bool
	queues map[string]*waitQueue // names with an Acquire in progress in this process
	holds  map[*hold]struct{}    // holds for Close to end and free
	held   map[string]int        // holds by name: an index of holds, for heldHere on every try
	queued map[string]queuedWait // tokens queued on the server by waiters at work, by token
	wg     sync.WaitGroup        // renewals, expiries and undos at work

	claimed atomic.Int64 // holds taken on a grant's message (tests read it)
}

var _ lock.Backend = (*Backend)(nil)

// New returns a backend that keeps its locks on client. The backend does not own client:
// Close leaves it open, and it must stay open until Close returns. Bad options are a
// lock.ErrInvalid error.
//
// A *redis.Client, *redis.ClusterClient or *redis.Ring must have ContextTimeoutEnabled set
// in its options (lock.Open sets it), or New returns a lock.ErrInvalid error: without it
// go-redis ignores ctx deadlines, and on a stalled link Acquire overruns its blocking window
// and ctx deadline, and Release and Extend theirs, by up to the client's ReadTimeout. New
// cannot see the options of any other redis.UniversalClient: give it one that honours ctx
// deadlines.
//
// New asks the server (every master of a Cluster, every shard of a Ring), for at most 2s,
// whether it can serve baton: a server older than the scripts need (6.2; 7.0 on a Cluster)
// or whose ACL forbids a command baton sends is an error naming the version or command; one
// whose maxmemory-policy evicts keys gets a warning, once, on the backend's logger. A server
// New cannot reach is not an error (New never needed one): the checks are then skipped, and
// the first Acquire reports what is wrong.
func New(client goredis.UniversalClient, opts ...Option) (*Backend, error) {
	cfg, err := newConfig(client, opts)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), serverCheckTimeout)
	defer cancel()
	if err := checkServer(ctx, client, cfg); redischeck.IsRefusal(err) {
		return nil, fmt.Errorf("redis backend: %w", err)
	}
	return build(client, cfg), nil
}

// newConfig validates client and opts and returns the settings they make.
func newConfig(client goredis.UniversalClient, opts []Option) (config, error) {
	if client == nil {
		return config{}, driver.Invalidf("redis backend: nil client")
	}
	if err := honoursDeadlines(client); err != nil {
		return config{}, err
	}
	cfg := defaultConfig()
	for _, o := range opts {
		if o == nil {
			return config{}, driver.Invalidf("redis backend: nil Option")
		}
		o(&cfg)
	}
	return cfg, cfg.validate()
}

// build makes the backend of a checked client and config.
func build(client goredis.UniversalClient, cfg config) *Backend {
	b := &Backend{
		client:  client,
		scripts: redisbatch.New(client, redisbatch.DefaultInFlight),
		publish: "PUBLISH",
		cfg:     cfg,
		done:    make(chan struct{}),
		queues:  make(map[string]*waitQueue),
		holds:   make(map[*hold]struct{}),
		held:    make(map[string]int),
		queued:  make(map[string]queuedWait),
	}
	_, cluster := client.(*goredis.ClusterClient)
	if cluster {
		b.publish = "SPUBLISH"
	}
	b.fences = redisscript.NewCounters(cfg.prefix, cluster)
	b.ctx, b.cancel = context.WithCancel(context.Background())
	b.subs = newSubscriber(client, b.wakeHead, b.heard, func(op string, err error) {
		b.cfg.defaults.Notify(lock.Event{Kind: lock.BackendError, Op: op, Err: err})
		vocab.LogBackendError(b.cfg.defaults.Log(), "", op, err)
	})
	return b
}

// NewLock returns a handle on the named lock. The name and options are validated here (an
// lock.ErrInvalid error); after Close it returns lock.ErrClosed. A handle holds nothing in
// the process or on the server until Acquire.
func (b *Backend) NewLock(name string, opts ...lock.Option) (lock.Locker, error) {
	if b.isClosed() {
		return nil, vocab.Err(name, "new lock", lock.ErrClosed)
	}
	o, err := driver.Resolve(name, b.cfg.defaults, opts...)
	if err != nil {
		return nil, err
	}
	key := b.cfg.prefix + "{" + name + "}"
	l := &Lock{
		b:        b,
		key:      key,
		fenceKey: b.fences.Key(key),
		channel:  key + ":released",
		queue:    redisscript.Queue{List: key + ":queue", Hash: key + ":waiters"},
	}
	l.core = handle[clock]{
		name: name, kind: "redis", opts: o, sem: make(chan struct{}, 1),
		b: holdsOf{b}, cfg: &b.cfg.settings, renew: l.runExtend, free: l.freeOnClose,
		errTaken: vocab.ErrTaken, errNotRenewed: vocab.ErrNotRenewed,
	}
	return l, nil
}

// holdsOf is a Backend as the holds of its locks see it (Backend).
type holdsOf struct{ b *Backend }

func (h holdsOf) enter() bool              { return h.b.enter() }
func (h holdsOf) leave()                   { h.b.wg.Done() }
func (h holdsOf) context() context.Context { return h.b.ctx }
func (h holdsOf) done() <-chan struct{}    { return h.b.done }
func (h holdsOf) addHold(x *hold) bool     { return h.b.addHold(x) }
func (h holdsOf) dropHold(x *hold)         { h.b.dropHold(x) }
func (h holdsOf) wakeHead(name string)     { h.b.wakeHead(name) }

// Close stops every renewal, ends the subscription, and makes Acquire calls that are
// waiting return lock.ErrClosed, taking those queued on the server out of their queues first
// (best effort, for at most half a second), so that no Release grants them a lock. The holds
// it still has are marked lost (their Lost channels close) and then released on the server,
// for at most releaseWait, so that other processes can take them at once; a key the
// server could not be told of expires on its own. It returns when no goroutine of the
// backend is left. It closes the client only when the backend opened it (lock.Open); a
// client given to New stays open. A second Close returns nil.
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
	queued := b.queued
	b.queued = make(map[string]queuedWait)
	b.mu.Unlock()
	if len(queued) > 0 {
		b.withdraw(queued)
	}

	b.cancel()
	closeHolds(holds)
	b.subs.close()
	var err error
	if b.owned {
		err = b.client.Close() // first: a read stalled on the network ends now
	}
	b.wg.Wait()
	b.scripts.Close()
	return err
}

func (b *Backend) isClosed() bool {
	select {
	case <-b.done:
		return true
	default:
		return false
	}
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

// heldHere reports whether a hold of this process has the lock name.
func (b *Backend) heldHere(name string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.held[name] > 0
}

// enter registers background work that Close must wait for; false once closed.
func (b *Backend) enter() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return false
	}
	b.wg.Add(1)
	return true
}

func (b *Backend) dropHold(h *hold) {
	b.mu.Lock()
	if _, ok := b.holds[h]; ok {
		delete(b.holds, h)
		if b.held[h.of.name]--; b.held[h.of.name] == 0 {
			delete(b.held, h.of.name)
		}
	}
	b.mu.Unlock()
}
