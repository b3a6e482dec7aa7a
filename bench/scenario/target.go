// Package scenario holds the lock scenarios baton is measured by, as plain functions over
// a Target: solo (one goroutine, its own key), wide (many goroutines, own keys), fight
// (goroutines on one key with a critical section), fight8 (the same with every goroutine on
// a backend of its own, as processes would be, leased or with a timeout), handoff (how long
// a waiter takes to get a released lock) and idle (the CPU that waiters burn). Targets are any lock.Backend, plus
// two baselines: plain go-redis (SET NX PX, EVALSHA release, busy retry) and sync.Mutex.
// The testing.B benchmarks of this package and the lockbench command run them side by side.
package scenario

import (
	"context"
	"crypto/rand"
	"errors"
	"slices"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/batonlock/baton/lock"
)

// Mutex is the least a scenario needs of a lock.
type Mutex interface {
	Lock(ctx context.Context) error
	Unlock(ctx context.Context) error
}

// Target makes the named locks a scenario runs on. Handles made with the same name are
// the same lock, as with a lock.Backend.
type Target struct {
	Name string
	New  func(name string) (Mutex, error)
	// Peer, when set, makes handles on the same locks through a second, independent
	// backend with its own connections: another process, as far as the server can tell.
	Peer func(name string) (Mutex, error)
	// Fleet, when set, opens n independent backends on the target's server (as n processes
	// would have) whose holds have the given timeout (0: leased, no timeout). FightFleet
	// runs on it.
	Fleet func(ctx context.Context, n int, timeout time.Duration) (Fleet, error)
	// Permits, when set, makes handles that let up to n holders share the named lock
	// (lock.WithPermits(n)). The permits scenarios run on it; nil on a backend that does not
	// keep n holders (it would run them as a mutex).
	Permits func(name string, n int) (Mutex, error)
	// Only, when set, lists the scenarios the target runs; nil runs them all.
	Only []string
}

// Backend runs scenarios on a lock.Backend, with locks that wait for ever and hold until
// released (plus opts).
func Backend(name string, b lock.Backend, opts ...lock.Option) Target {
	return Target{Name: name, New: func(n string) (Mutex, error) {
		l, err := b.NewLock(n, opts...)
		if err != nil {
			return nil, err
		}
		return locker{l}, nil
	}}
}

// BackendPermits makes the handles of a Target's Permits on b: lock.WithPermits(n), plus opts.
func BackendPermits(b lock.Backend, opts ...lock.Option) func(name string, n int) (Mutex, error) {
	return func(name string, n int) (Mutex, error) {
		l, err := b.NewLock(name, append(slices.Clone(opts), lock.WithPermits(n))...)
		if err != nil {
			return nil, err
		}
		return locker{l}, nil
	}
}

type locker struct{ l lock.Locker }

func (l locker) Lock(ctx context.Context) error   { return l.l.Acquire(ctx) }
func (l locker) Unlock(ctx context.Context) error { return l.l.Release(ctx) }

// SyncMutex is the in-process baseline: a sync.Mutex per name, never forgotten. Its
// Fleet is the same mutexes again, for leased holds only: a sync.Mutex has no timeout, and
// its fleet fight is the in-process figure that fights between processes are held up to.
func SyncMutex() Target {
	var mu sync.Mutex
	names := map[string]*sync.Mutex{}
	t := Target{Name: "sync.Mutex", New: func(n string) (Mutex, error) {
		mu.Lock()
		defer mu.Unlock()
		m := names[n]
		if m == nil {
			m = &sync.Mutex{}
			names[n] = m
		}
		return syncMutex{m}, nil
	}}
	t.Fleet = func(_ context.Context, n int, timeout time.Duration) (Fleet, error) {
		if timeout > 0 {
			return Fleet{}, ErrNoFleet
		}
		news := make([]func(string) (Mutex, error), n)
		for i := range news {
			news[i] = t.New
		}
		return Fleet{News: news, Close: func() error { return nil }}, nil
	}
	return t
}

type syncMutex struct{ m *sync.Mutex }

func (m syncMutex) Lock(context.Context) error   { m.m.Lock(); return nil }
func (m syncMutex) Unlock(context.Context) error { m.m.Unlock(); return nil }

// rawRelease is the usual compare-and-delete that lock libraries run with EVALSHA.
var rawRelease = goredis.NewScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`)

// RawRedis is the go-redis baseline: SET key token NX PX ttl, retried at once while it
// fails (a busy retry), and an EVALSHA compare-and-delete to release. Keys get prefix.
func RawRedis(client goredis.UniversalClient, prefix string) Target {
	return Target{Name: "raw go-redis", New: func(n string) (Mutex, error) {
		return &rawMutex{c: client, key: prefix + n}, nil
	}}
}

type rawMutex struct {
	c     goredis.UniversalClient
	key   string
	token string
}

func (m *rawMutex) Lock(ctx context.Context) error {
	token := rand.Text()
	for {
		ok, err := m.c.SetNX(ctx, m.key, token, 30*time.Second).Result()
		if err != nil {
			return err
		}
		if ok {
			m.token = token
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

func (m *rawMutex) Unlock(ctx context.Context) error {
	n, err := rawRelease.Run(ctx, m.c, []string{m.key}, m.token).Int64()
	if err == nil && n != 1 {
		err = errors.New("raw go-redis: not held")
	}
	return err
}
