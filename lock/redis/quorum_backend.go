package redis

import (
	"errors"
	"fmt"

	goredis "github.com/redis/go-redis/v9"

	"github.com/batonlock/baton/internal/redisscript"
	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/driver"
)

// Quorum makes locks that live on a majority of N independent Redis masters. Locks with
// the same name and prefix exclude each other across every backend on the same masters.
type Quorum struct {
	backend // its locks' engine, whose nodes are this Quorum's (quorum_ops.go); owned: Close closes the clients
	clients []goredis.UniversalClient
	addrs   []string // for errors: each node's address
}

// backend is Backend under a name that does not export it as a field of Quorum.
type backend = Backend

var _ lock.Backend = (*Quorum)(nil)

// NewQuorum returns a backend whose locks are taken on a majority of clients, each an
// independent master (not replicas of one another, not shards of one cluster). An even
// number of nodes works, but tolerates no more failures than one fewer; 3 or 5 is usual.
// The backend does not own the clients: Close leaves them open, and they must stay open
// until Close returns. A *redis.Client, *redis.ClusterClient or *redis.Ring must have
// ContextTimeoutEnabled set in its options (lock.Open sets it), as for New, so that a call
// on a stalled link ends at its node timeout, not at the client's read timeout (Close
// would wait for it). Bad options are a lock.ErrInvalid error.
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
		if err := honoursDeadlines(c, fmt.Sprintf("quorum backend: client %d", i)); err != nil {
			return nil, err
		}
		if _, ok := c.(*goredis.ClusterClient); ok {
			cluster = true // per-slot counters serve plain nodes as well
		}
		addrs[i] = fmt.Sprint(i)
		if cc, ok := c.(*goredis.Client); ok {
			addrs[i] = cc.Options().Addr
		}
	}
	cfg, err := configure("quorum", opts)
	if err != nil {
		return nil, err
	}
	b := &Quorum{clients: clients, addrs: addrs}
	b.nodes = b
	b.fences = redisscript.NewCounters(cfg.prefix, cluster)
	b.init(cfg, len(clients))
	for _, c := range clients {
		b.subscribeTo(c)
	}
	return b, nil
}

// NewLock returns a handle on the named lock. The name and options are validated here (an
// lock.ErrInvalid error, also for WithPermits(n > 1) and WithShared, which a quorum does
// not offer: see refuseOnQuorum); after Close it returns lock.ErrClosed. A handle holds
// nothing in the process or on the nodes until Acquire.
func (b *Quorum) NewLock(name string, opts ...lock.Option) (lock.Locker, error) {
	l, err := b.newLock(name, opts)
	if err != nil {
		return nil, err
	}
	if err := refuseOnQuorum(name, l.opts); err != nil {
		return nil, err
	}
	return l, nil
}

// Close stops every renewal, ends the subscriptions, and makes Acquire calls that are
// waiting return lock.ErrClosed. The holds it still has are marked lost (their Lost channels
// close) and then released on every node, for at most releaseWait, so that other
// processes can take them at once; keys a node could not be told of expire on their own. It
// returns when no goroutine of the backend is left. It closes the clients only when the backend opened them (lock.Open). A
// second Close returns nil.
func (b *Quorum) Close() error {
	holds, _, ok := b.shut()
	if !ok {
		return nil
	}
	// Before cancel: the nodes' answers to a hold's try, which its release waits for, run
	// under the backend's ctx.
	closeHolds(holds)
	b.cancel()
	b.closeSubs()
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
