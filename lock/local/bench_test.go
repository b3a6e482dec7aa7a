package local_test

import (
	"context"
	"strconv"
	"sync"
	"testing"

	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/driver"
	"github.com/batonlock/baton/lock/local"
)

// mutexMap is the baseline a user would write by hand: a map of mutexes behind a mutex. It
// never forgets a name, which is why it is not a real alternative, but it is the speed to beat.
type mutexMap struct {
	mu sync.Mutex
	m  map[string]*sync.Mutex
}

func (m *mutexMap) get(name string) *sync.Mutex {
	m.mu.Lock()
	defer m.mu.Unlock()
	mu, ok := m.m[name]
	if !ok {
		mu = new(sync.Mutex)
		m.m[name] = mu
	}
	return mu
}

func (m *mutexMap) Lock(name string)   { m.get(name).Lock() }
func (m *mutexMap) Unlock(name string) { m.get(name).Unlock() }

func names(n int) []string {
	s := make([]string, n)
	for i := range s {
		s[i] = "order:" + strconv.Itoa(i)
	}
	return s
}

func BenchmarkUncontended(b *testing.B) {
	b.Run("baton", func(b *testing.B) {
		be := local.New(driver.DefaultOptions())
		defer be.Close()
		l, _ := be.NewLock("one")
		ctx := context.Background()
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if err := l.Acquire(ctx); err != nil {
				b.Fatal(err)
			}
			if err := l.Release(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("mutexmap", func(b *testing.B) {
		m := &mutexMap{m: make(map[string]*sync.Mutex)}
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			m.Lock("one")
			m.Unlock("one")
		}
	})
}

func BenchmarkDistinctNames(b *testing.B) {
	ns := names(10_000)
	b.Run("baton", func(b *testing.B) {
		be := local.New(driver.DefaultOptions())
		defer be.Close()
		ls := make([]lock.Locker, len(ns))
		for i, n := range ns {
			ls[i], _ = be.NewLock(n)
		}
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			l := ls[i%len(ls)]
			if err := l.Acquire(ctx); err != nil {
				b.Fatal(err)
			}
			if err := l.Release(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("mutexmap", func(b *testing.B) {
		m := &mutexMap{m: make(map[string]*sync.Mutex)}
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			n := ns[i%len(ns)]
			m.Lock(n)
			m.Unlock(n)
		}
	})
}

// BenchmarkFight8 has 8 goroutines fighting over one name, each with its own handle.
func BenchmarkFight8(b *testing.B) {
	const workers = 8
	b.Run("baton", func(b *testing.B) {
		be := local.New(driver.DefaultOptions())
		defer be.Close()
		ctx := context.Background()
		b.ReportAllocs()
		runWorkers(b, workers, func() func() {
			l, _ := be.NewLock("one")
			return func() {
				if err := l.Acquire(ctx); err != nil {
					panic(err)
				}
				if err := l.Release(ctx); err != nil {
					panic(err)
				}
			}
		})
	})
	b.Run("mutexmap", func(b *testing.B) {
		m := &mutexMap{m: make(map[string]*sync.Mutex)}
		b.ReportAllocs()
		runWorkers(b, workers, func() func() {
			return func() { m.Lock("one"); m.Unlock("one") }
		})
	})
}

// runWorkers splits b.N cycles over n goroutines, each with the cycle newCycle gives it.
func runWorkers(b *testing.B, n int, newCycle func() func()) {
	var wg sync.WaitGroup
	per := b.N / n
	for w := 0; w < n; w++ {
		cycle := newCycle()
		count := per
		if w == 0 {
			count += b.N % n
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < count; i++ {
				cycle()
			}
		}()
	}
	wg.Wait()
}
