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
//
// A Quorum embeds it: the engine of the locks is the same over one node and over N
// (PROTOCOL.md, "Nodes"), and so is the bookkeeping of engine.go.
type Backend struct {
	cfg   config
	nodes nodes         // where the locks live: oneNode, or a Quorum's N
	subs  []*subscriber // one per node
	need  int           // nodes that make a majority: 1 of 1, or N/2+1 of N
	// fences names the fence counters (PROTOCOL.md, "Keys"): per slot on a Cluster, and
	// on a Quorum's nodes when any is one; one key per prefix elsewhere.
	fences *redisscript.Counters
	owned  bool // Close closes the client, or a Quorum's clients (made from a URL)

	// One node only: a Quorum calls its nodes itself (quorum_ops.go).
	client  goredis.UniversalClient
	scripts *redisbatch.Batcher // runs the scripts: concurrent calls share pipelines (PROTOCOL.md, "Pipelining")
	publish string              // PUBLISH, or SPUBLISH on a cluster

	ctx    context.Context // background work (renewals, undos, node calls); cancelled by Close
	cancel context.CancelFunc
	done   chan struct{} // closed by Close

	mu     sync.Mutex
	closed bool
	queues map[string]*waitQueue // names with an Acquire in progress in this process
	holds  map[*hold]struct{}    // holds for Close to end and free
	held   map[string]int        // holds by name: an index of holds, for heldHere on every try
	queued map[string]*Lock      // tokens queued on the server by waiters at work, by token
	// undoing: tokens whose undo is at work (nodes.undo); Close withdraws them too.
	undoing map[string]*Lock
	inTry   int // tries that may queue a token, in flight (queue, leaveTry)
	// triesDone is closed once the backend is closed and no such try is in flight.
	triesDone chan struct{}
	wg        sync.WaitGroup // renewals, expiries, undos and node calls at work

	claimed atomic.Int64 // holds taken on a grant's message (tests read it)
	passed  atomic.Int64 // permits taken on the reply to a Release of this process (tests read it)
	// releasing, when set (by tests only), runs in Release after the hold was taken out of
	// the process's index and before the lock is passed on or freed.
	releasing func(name string)
	// dropping, when set (by tests only), runs when an Acquire ends, after its undo was
	// started and before its token leaves Close's record (dropToken).
	dropping func(name string)
	// closing, when set (by tests only), runs in Close before it waits for the tries in
	// flight that may queue a token (settleTries).
	closing func()
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

// newConfig validates client and opts and returns the config they make.
func newConfig(client goredis.UniversalClient, opts []Option) (config, error) {
	if client == nil {
		return config{}, driver.Invalidf("redis backend: nil client")
	}
	if err := honoursDeadlines(client, "redis backend"); err != nil {
		return config{}, err
	}
	return configure("redis", opts)
}

// build makes the backend of a checked client and config.
func build(client goredis.UniversalClient, cfg config) *Backend {
	b := &Backend{
		client:  client,
		scripts: redisbatch.New(client, redisbatch.DefaultInFlight),
		publish: "PUBLISH",
		nodes:   oneNode{},
	}
	b.init(cfg, 1)
	_, cluster := client.(*goredis.ClusterClient)
	if cluster {
		b.publish = "SPUBLISH"
	}
	b.fences = redisscript.NewCounters(cfg.prefix, cluster)
	b.subscribeTo(client)
	return b
}

// subscribeTo adds the subscriber of a node's client.
func (b *Backend) subscribeTo(client goredis.UniversalClient) {
	b.subs = append(b.subs, newSubscriber(client, b.wakeHead, b.heard, b.onError))
}

// NewLock returns a handle on the named lock. The name and options are validated here (an
// lock.ErrInvalid error); after Close it returns lock.ErrClosed. A handle holds nothing in
// the process or on the server until Acquire.
func (b *Backend) NewLock(name string, opts ...lock.Option) (lock.Locker, error) {
	l, err := b.newLock(name, opts)
	if err != nil {
		return nil, err
	}
	return l, nil
}

// newLock makes a handle on name whose calls go to b's nodes.
// Bad options are a lock.ErrInvalid error; after Close it returns lock.ErrClosed.
func (b *Backend) newLock(name string, opts []lock.Option) (*Lock, error) {
	if b.isClosed() {
		return nil, vocab.Err(name, "new lock", lock.ErrClosed)
	}
	o, err := driver.Resolve(name, b.cfg.defaults, opts...)
	if err != nil {
		return nil, err
	}
	key := b.cfg.prefix + "{" + name + "}"
	return &Lock{
		b:        b,
		name:     name,
		key:      key,
		fenceKey: b.fences.Key(key),
		channel:  key + ":released",
		queue:    redisscript.Queue{List: key + ":queue", Hash: key + ":waiters"},
		opts:     o,
		multi:    o.Permits > 1 || o.Shared,
		sem:      make(chan struct{}, 1),
	}, nil
}

// Close stops every renewal, ends the subscription, and makes Acquire calls that are
// waiting return lock.ErrClosed, taking those queued on the server (exclusive and permit
// waiters) out of their queues first and freeing what was granted to them meanwhile, so
// that no Release grants them a lock or permit: it waits for their tries in flight to be
// answered (for at most half a second), then withdraws them (best effort, for at most half
// a second more). The holds it still has are marked lost (their Lost channels close) and then released on the server,
// for at most releaseWait, so that other processes can take them at once; a key the
// server could not be told of expires on its own. It returns when no goroutine of the
// backend is left. It closes the client only when the backend opened it (lock.Open); a
// client given to New stays open. A second Close returns nil.
func (b *Backend) Close() error {
	holds, queued, ok := b.shut()
	if !ok {
		return nil
	}
	if len(queued) > 0 {
		b.settleTries()
		b.withdraw(queued)
	}
	b.cancel()
	closeHolds(holds)
	b.closeSubs()
	var err error
	if b.owned {
		err = b.client.Close() // first: a read stalled on the network ends now
	}
	b.wg.Wait()
	b.scripts.Close()
	return err
}
