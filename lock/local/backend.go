package local

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/batonlock/baton/lock"
)

func init() {
	lock.Register("local", open)
}

// open serves "local://" URLs. Besides the shared timeout and blocking (which Open has
// already taken out) it accepts the Redis keys prefix and lease, validated but unused, so that
// one configuration can name either backend.
func open(_ context.Context, u *url.URL, defaults lock.Options) (lock.Backend, error) {
	if u.Host != "" || (u.Path != "" && u.Path != "/") || u.Opaque != "" || u.User != nil {
		return nil, lock.Invalidf("local backend URL %q takes no host or path (want local://)", lock.Redact(u))
	}
	q := u.Query()
	if _, _, err := lock.PopString(q, "prefix"); err != nil {
		return nil, err
	}
	lease, err := lock.PopDuration(q, "lease", 0)
	if err != nil {
		return nil, err
	}
	if lease < 0 {
		return nil, lock.Invalidf("query key %q: %v is negative", "lease", lease)
	}
	for key := range q {
		return nil, lock.Invalidf("local backend URL: unknown query key %q (known: timeout, blocking, prefix, lease)", key)
	}
	return New(defaults), nil
}

// Backend is the in-memory backend: locks that exclude each other within one process. Two
// Backends are independent. The zero value is not usable; call New.
type Backend struct {
	defaults lock.Options

	mu     sync.Mutex
	names  map[string]*entry // only names that are held or waited on
	free   []*entry          // spare entries, so a lock/unlock cycle allocates nothing
	fence  uint64            // last fencing token handed out, for any name
	closed bool
}

var _ lock.Backend = (*Backend)(nil)

// maxFree bounds the spare entries kept for reuse.
const maxFree = 64

// New returns an in-memory backend whose locks start from defaults (lock.DefaultOptions()
// when you have none to give) before their own options are applied.
func New(defaults lock.Options) *Backend {
	return &Backend{defaults: defaults, names: make(map[string]*entry)}
}

// NewLock returns a handle on the named lock. The name and options are validated here.
func (b *Backend) NewLock(name string, opts ...lock.Option) (lock.Locker, error) {
	o, err := lock.Resolve(name, b.defaults, opts...)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	closed := b.closed
	b.mu.Unlock()
	if closed {
		return nil, fmt.Errorf("lock %q: new lock: %w", name, lock.ErrClosed)
	}
	return &Lock{b: b, name: name, opts: o}, nil
}

// Len returns how many names are held or waited on now: the backend keeps no state for any
// other name.
func (b *Backend) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.names)
}

// Close wakes every waiter with lock.ErrClosed, marks every hold lost (closing its Lost
// channel) and stops every expiry timer. Later calls return lock.ErrClosed; a second Close
// returns nil.
func (b *Backend) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	var lost []*Lock
	for _, e := range b.names {
		for w := e.pop(); w != nil; w = e.pop() {
			w.err = lock.ErrClosed
			close(w.ready)
		}
		if h := e.holder; h != nil {
			e.holder = nil
			h.endLocked(true)
			lost = append(lost, h)
		}
	}
	b.names, b.free = nil, nil
	b.mu.Unlock()
	for _, h := range lost {
		h.reportLost(lock.ErrClosed)
	}
	return nil
}

// grantLocked makes l the holder of e with a fresh fencing token. b.mu must be held.
func (b *Backend) grantLocked(e *entry, l *Lock) {
	b.fence++
	e.holder = l
	l.beginLocked(e, b.fence)
}

// handOffLocked passes e to its next waiter after a hold ended, or forgets it when no one
// waits. The waiter is woken by this call: nothing polls. b.mu must be held.
func (b *Backend) handOffLocked(e *entry) {
	if w := e.pop(); w != nil {
		b.grantLocked(e, w.l)
		w.granted = true
		close(w.ready)
		return
	}
	delete(b.names, e.name)
	if len(b.free) < maxFree {
		*e = entry{}
		b.free = append(b.free, e)
	}
}

// entryLocked returns the entry for name, making one if needed. b.mu must be held.
func (b *Backend) entryLocked(name string) *entry {
	if e := b.names[name]; e != nil {
		return e
	}
	var e *entry
	if n := len(b.free); n > 0 {
		e, b.free = b.free[n-1], b.free[:n-1]
	} else {
		e = new(entry)
	}
	e.name = name
	b.names[name] = e
	return e
}

// errClosed wraps lock.ErrClosed with the operation and name.
func errClosed(op, name string) error {
	return fmt.Errorf("lock %q: %s: %w", name, op, lock.ErrClosed)
}

// since returns the time elapsed from t, or 0 when t is zero (no observer was set).
func since(t time.Time) time.Duration {
	if t.IsZero() {
		return 0
	}
	return time.Since(t)
}
