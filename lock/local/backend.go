package local

import (
	"context"
	"hash/maphash"
	"maps"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/batonlock/baton/internal/vocab"
	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/driver"
)

func init() {
	driver.Register("local", open)
}

// open serves "local://" URLs. Besides the shared timeout and blocking (which Open has
// already taken out) it accepts the Redis keys prefix and lease, validated but unused, so that
// one configuration can name either backend.
func open(_ context.Context, u *url.URL, defaults driver.Options) (lock.Backend, error) {
	if u.Host != "" || (u.Path != "" && u.Path != "/") || u.Opaque != "" || u.User != nil {
		return nil, driver.Invalidf("backend URL %q: local:// takes no host or path", driver.Redact(u))
	}
	q := u.Query()
	if _, _, err := driver.PopString(q, "prefix"); err != nil {
		return nil, err
	}
	lease, err := driver.PopDuration(q, "lease", lock.MinLease)
	if err != nil {
		return nil, err
	}
	if lease < lock.MinLease {
		// Refused here as on Redis, so that a configuration local:// takes works there too.
		return nil, driver.Invalidf("query key %q: %v is shorter than lock.MinLease (%v): renewed every third of it, a Redis lease that short would be lost at the first slow round trip or pause", "lease", lease, lock.MinLease)
	}
	if len(q) > 0 {
		return nil, vocab.UnknownKeys(u, slices.Collect(maps.Keys(q)), "blocking", "lease", "prefix", "timeout")
	}
	return New(defaults), nil
}

// Backend is the in-memory backend: locks that exclude each other within one process. Two
// Backends made by New are independent; Peer makes one that shares a store with another.
// The zero value is not usable; call New.
//
// Names are spread over shards, each with its own mutex, so that goroutines locking
// different names rarely wait for each other; everything about one name lives in one shard.
type Backend struct {
	defaults driver.Options
	closed   atomic.Bool
	st       *store
}

// store is the names of one New and its peers.
type store struct {
	seed   maphash.Seed
	fence  atomic.Uint64 // last fencing token handed out, for any name
	shards [numShards]shard
}

// shard keeps the names that hash to it. Its mutex guards its fields and the hold state of
// every handle on those names.
type shard struct {
	mu    sync.Mutex
	fence *atomic.Uint64
	names map[string]*entry // only names that are held or waited on
	free  []*entry          // spare entries, so a lock/unlock cycle allocates nothing
	_     [64]byte          // keep neighbouring shards' mutexes off one cache line
}

var _ lock.Backend = (*Backend)(nil)

const (
	numShards = 64
	maxFree   = 16 // spare entries kept per shard
)

// New returns an in-memory backend whose locks start from defaults (driver.DefaultOptions()
// when you have none to give) before their own options are applied.
func New(defaults driver.Options) *Backend {
	st := &store{seed: maphash.MakeSeed()}
	for i := range st.shards {
		st.shards[i].names = make(map[string]*entry)
		st.shards[i].fence = &st.fence
	}
	return &Backend{defaults: defaults, st: st}
}

// Peer returns another backend on b's names, with b's defaults, as a second replica of a
// service would have on a shared Redis: their locks of one name exclude each other and
// share one fence counter, and each backend's Close ends only its own holds and waits,
// handing the names it held to the other's waiters at once. Tests of what one replica's
// shutdown does to another use it. A peer of a closed backend works; b need not outlive it.
func (b *Backend) Peer() *Backend { return &Backend{defaults: b.defaults, st: b.st} }

// NewLock returns a handle on the named lock. The name and options are validated here.
func (b *Backend) NewLock(name string, opts ...lock.Option) (lock.Locker, error) {
	o, err := driver.Resolve(name, b.defaults, opts...)
	if err != nil {
		return nil, err
	}
	if b.closed.Load() {
		return nil, vocab.Err(name, "new lock", lock.ErrClosed)
	}
	sh := &b.st.shards[maphash.String(b.st.seed, name)%numShards]
	return &Lock{b: b, sh: sh, name: name, opts: o}, nil
}

// Len returns how many names are held or waited on now, through b or its peers: the
// backend keeps no state for any other name.
func (b *Backend) Len() int {
	n := 0
	for i := range b.st.shards {
		s := &b.st.shards[i]
		s.mu.Lock()
		n += len(s.names)
		s.mu.Unlock()
	}
	return n
}

// Close wakes every waiter of b with lock.ErrClosed and ends every hold of b: each is
// marked lost (its Lost channel closes, its AfterLost hooks run) and, in the same step,
// its name goes to the next waiter of a peer, or is freed. Later calls return
// lock.ErrClosed; a second Close returns nil. Peers are left as they were.
func (b *Backend) Close() error {
	if b.closed.Swap(true) {
		return nil
	}
	var lost []lostHold
	for i := range b.st.shards {
		lost = append(lost, b.st.shards[i].close(b)...)
	}
	for _, g := range lost {
		g.report()
	}
	return nil
}

// close ends every hold and wait of b in the shard and returns the holds it ended. b.closed is set first, so no call of b's that takes s.mu after this starts a new
// one.
func (s *shard) close(b *Backend) (lost []lostHold) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.names {
		for w := e.head; w != nil; {
			next := w.next
			if w.l.b == b {
				e.remove(w)
				w.err = lock.ErrClosed
				close(w.ready)
			}
			w = next
		}
		holders := append([]*Lock(nil), e.holders...)
		for _, h := range holders {
			if h.b != b {
				continue // a peer's hold: the peer is still open
			}
			lost = append(lost, h.endLocked(lock.ErrClosed))
		}
		s.handOffLocked(e) // to a peer's waiters, or forgets the name
	}
	return lost
}

// grantLocked gives l a hold of e with a fresh fencing token. s.mu must be held, which is
// what makes the tokens of one name grow in the order its holds begin.
func (s *shard) grantLocked(e *entry, l *Lock) {
	e.holders = append(e.holders, l)
	l.beginLocked(e, s.fence.Add(1))
}

// handOffLocked runs whenever a hold or a wait on e ended: it admits the waiters at the head
// of the queue that may now hold (one exclusive waiter, up to the permits, or every shared
// waiter up to the next exclusive one), waking each from this call (nothing polls), and
// forgets e when no one holds or waits. s.mu must be held.
func (s *shard) handOffLocked(e *entry) {
	for w := e.head; w != nil && e.admits(w.l); w = e.head {
		e.remove(w)
		s.grantLocked(e, w.l)
		w.granted = true
		close(w.ready)
	}
	if !e.unused() {
		return
	}
	delete(s.names, e.name)
	if len(s.free) < maxFree {
		*e = entry{holders: e.holders[:0]}
		s.free = append(s.free, e)
	}
}

// entryLocked returns the entry for name, making one with permits if needed. s.mu must be
// held.
func (s *shard) entryLocked(name string, permits int) *entry {
	if e := s.names[name]; e != nil {
		return e
	}
	var e *entry
	if n := len(s.free); n > 0 {
		e, s.free = s.free[n-1], s.free[:n-1]
	} else {
		e = new(entry)
	}
	e.name, e.permits = name, permits
	s.names[name] = e
	return e
}

// errClosed wraps lock.ErrClosed with the operation and name.
func errClosed(op, name string) error { return vocab.Err(name, op, lock.ErrClosed) }

// since returns the time elapsed from t, or 0 when t is zero (no observer was set).
func since(t time.Time) time.Duration {
	if t.IsZero() {
		return 0
	}
	return time.Since(t)
}
