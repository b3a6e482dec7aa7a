package reliability_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redistest"
	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/driver"
	"github.com/batonlock/baton/lock/local"
	redislock "github.com/batonlock/baton/lock/redis"
)

// The soak: soakWorkers goroutines over soakNames names, each cycle with a fresh handle and
// a random mix of blocking windows, cancelled contexts, NoWait tries and timed holds that
// sometimes outlast their timeout. It runs for soakTime with BATON_SOAK=1, a few seconds
// otherwise.
const (
	soakWorkers = 256
	soakNames   = 1024
	soakTime    = 30 * time.Second
	shortSoak   = 2500 * time.Millisecond
	soakTimeout = 150 * time.Millisecond // of the timed holds
)

func soakDuration() time.Duration {
	if soak() {
		return soakTime
	}
	return shortSoak
}

// soakState is the test's own view of each name: which handles believe they hold it,
// and the last fence seen while holding it.
type soakState struct {
	mu   sync.Mutex
	last uint64
	// holders are the handles that believe they hold the name, each with a time before
	// which its key cannot have expired on the server: for a timed hold, when Acquire was
	// called plus the timeout; zero for a leased hold, whose renewals keep moving it.
	holders map[int64]soakHold
}

// soakHold is one handle's hold as the soak saw it, kept to describe an overlap.
type soakHold struct {
	notBefore time.Time // the key cannot have expired before this; zero for a leased hold
	at        time.Time // when Acquire returned
	fence     uint64
	backend   int
	end       *atomic.Value // how the hold ended (a string), set when it did
}

func (h soakHold) String() string {
	kind := "leased"
	if !h.notBefore.IsZero() {
		kind = "timed"
	}
	return fmt.Sprintf("%s hold on backend %d, fence %d, acquired at %s, ended: %v", kind, h.backend, h.fence, h.at.Format("15:04:05.000000"), h.end.Load())
}

type soakStats struct {
	holds, gaveUp, lost, overlaps, lateLoss, fenceErrors atomic.Int64
	unexpected, ids                                      atomic.Int64
	firstErr                                             atomic.Value
	overlapMu                                            sync.Mutex
	overlapSeen                                          []soakOverlap // the first few overlaps
}

// soakOverlap is one overlap: a hold that began while another's key could not have expired.
type soakOverlap struct {
	name      string
	me, other soakHold
}

func (o soakOverlap) String() string {
	return fmt.Sprintf("%s: %v began while %v", o.name, o.me, o.other)
}

func (s *soakStats) String() string {
	return fmt.Sprintf("%d holds (%d lost), %d gave up, %d overlaps, %d losses heard after the key expired, %d fences out of order, %d unexpected errors",
		s.holds.Load(), s.lost.Load(), s.gaveUp.Load(), s.overlaps.Load(), s.lateLoss.Load(), s.fenceErrors.Load(), s.unexpected.Load())
}

// describeOverlap keeps a description of the first few overlaps for the report.
func (s *soakStats) describeOverlap(name string, me, other soakHold) {
	s.overlapMu.Lock()
	defer s.overlapMu.Unlock()
	if len(s.overlapSeen) < 5 {
		s.overlapSeen = append(s.overlapSeen, soakOverlap{name, me, other})
	}
}

func (s *soakStats) fail(err error) {
	s.unexpected.Add(1)
	s.firstErr.CompareAndSwap(nil, err)
}

// runSoak runs the workers against backends (worker i uses backends[i%len]) until d has
// passed, and returns what they saw.
func runSoak(t *testing.T, backends []lock.Backend, d time.Duration) *soakStats {
	names := make([]string, soakNames)
	state := make([]*soakState, soakNames)
	for i := range names {
		names[i] = fmt.Sprintf("soak:%d", i)
		state[i] = &soakState{holders: make(map[int64]soakHold)}
	}
	st := &soakStats{}
	end := time.Now().Add(d)
	var wg sync.WaitGroup
	for w := 0; w < soakWorkers; w++ {
		bi := w % len(backends)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) {
				n := rand.IntN(soakNames)
				soakCycle(backends[bi], bi, names[n], state[n], st)
			}
		}()
	}
	wg.Wait()
	return st
}

// soakCycle takes one name once, the way a random kind of caller would.
func soakCycle(b lock.Backend, bi int, name string, ns *soakState, st *soakStats) {
	ctx, cancel := context.WithTimeout(context.Background(), eventually)
	defer cancel()
	var opts []lock.Option
	hold := time.Duration(rand.IntN(500)) * time.Microsecond
	timed := false
	switch rand.IntN(10) {
	case 0:
		opts = append(opts, lock.WithBlocking(lock.NoWait))
	case 1, 2:
		opts = append(opts, lock.WithBlocking(time.Duration(1+rand.IntN(3000))*time.Microsecond))
	case 3, 4:
		var c context.CancelFunc
		ctx, c = context.WithCancel(ctx)
		t := time.AfterFunc(time.Duration(rand.IntN(2000))*time.Microsecond, c)
		defer t.Stop()
	case 5:
		timed = true
		opts = append(opts, lock.WithTimeout(soakTimeout))
		if rand.IntN(4) == 0 {
			hold = 2 * soakTimeout // outlasts its timeout: lost, on purpose
		}
	}
	l, err := b.NewLock(name, opts...)
	if err != nil {
		st.fail(err)
		return
	}
	called := time.Now()
	if err := l.Acquire(ctx); err != nil {
		if errors.Is(err, lock.ErrNotAcquired) || errors.Is(err, context.Canceled) {
			st.gaveUp.Add(1)
		} else {
			st.fail(err)
		}
		return
	}
	// The hold, as this caller believes it: from now until it releases or is told of a loss.
	// This Acquire took the key on the server before now. A timed hold's key cannot expire
	// before the call plus its timeout; after that, a holder may be told of its loss late,
	// because its process had not yet run the timer (a starved CPU, which the drift margin
	// must cover: RELIABILITY.md). So another holder whose key cannot have expired makes an
	// overlap, and a fence that does not grow is an error, unless this hold itself may have
	// expired already: then it is the late one.
	//
	// The hold is registered, and now read, under ns.mu: a worker kept off the CPU between
	// Acquire and ns.mu could otherwise judge itself fresh by a clock read long before, and
	// report the holder that took the name after its key expired as an overlap, or its
	// larger fence as out of order. Nothing under ns.mu calls a Locker: the AfterLost hook
	// below takes ns.mu, and may run under the backend's own lock (driver.LossNotifier).
	fence, id := l.Fence(), st.ids.Add(1)
	notBefore := time.Time{}
	if timed {
		notBefore = called.Add(soakTimeout)
	}
	ns.mu.Lock()
	now := time.Now()
	stale := !notBefore.IsZero() && !now.Before(notBefore)
	me := soakHold{notBefore: notBefore, at: now, fence: fence, backend: bi, end: new(atomic.Value)}
	overlap, late := false, stale && len(ns.holders) > 0
	for _, other := range ns.holders {
		if stale {
			break
		}
		if other.notBefore.IsZero() || now.Before(other.notBefore) {
			overlap = true
			st.describeOverlap(name, me, other)
		} else {
			late = true
		}
	}
	switch {
	case fence > ns.last:
		ns.last = fence
	case stale:
		late = true
	default:
		st.fenceErrors.Add(1)
	}
	if overlap {
		st.overlaps.Add(1)
	} else if late {
		st.lateLoss.Add(1)
	}
	ns.holders[id] = me
	ns.mu.Unlock()
	var ended atomic.Bool
	leave := func() bool {
		if ended.CompareAndSwap(false, true) {
			ns.mu.Lock()
			delete(ns.holders, id)
			ns.mu.Unlock()
			return true
		}
		return false
	}
	stop := l.(driver.LossNotifier).AfterLost(func() { leave() })
	defer stop()
	st.holds.Add(1)

	t := time.NewTimer(hold)
	select {
	case <-t.C:
	case <-l.Lost():
		t.Stop()
	}
	wasHeld := leave()
	rctx, rcancel := context.WithTimeout(context.Background(), eventually)
	defer rcancel()
	err = l.Release(rctx)
	me.end.Store(fmt.Sprintf("after %v, told of a loss %v, release: %v", time.Since(now), !wasHeld, err))
	switch {
	case err == nil && wasHeld:
	case errors.Is(err, lock.ErrNotHeld) && (timed || !wasHeld):
		st.lost.Add(1)
	default:
		st.fail(fmt.Errorf("release after holding %v (timed %v, told of loss %v): %v", hold, timed, !wasHeld, err))
	}
}

// heapAlloc returns the bytes allocated on the heap after two collections.
func heapAlloc() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// checkRecovered asserts that the goroutines and the heap are back where they were. (It
// polls by hand: assert.Eventually would count its own goroutines.) The heap may end a
// quarter above its start: the baseline is only about 0.5 MB, and the pools and timers of
// the runtime and go-redis vary by tens of KB from run to run (10% failed now and then, at
// +54 KB), while a leak of a single byte per hold would add some 300 KB over a soak.
func checkRecovered(t *testing.T, goroutines int, heap uint64) {
	limit := heap + heap/4
	g, after := runtime.NumGoroutine(), heapAlloc()
	for deadline := time.Now().Add(eventually); time.Now().Before(deadline); {
		if g <= goroutines && after <= limit {
			break
		}
		time.Sleep(50 * time.Millisecond)
		g, after = runtime.NumGoroutine(), heapAlloc()
	}
	t.Logf("goroutines %d → %d; heap %d → %d bytes", goroutines, g, heap, after)
	assert.LessOrEqual(t, g, goroutines, "goroutines left after Close")
	assert.LessOrEqual(t, after, limit, "heap not back within 25%% of the start")
}

// warmUp runs a short soak on a backend that open makes, and closes it, so that the
// allocations made once per process (runtime timers, pools, lazy globals) are in the
// baseline the real soak is compared with. It must run as many backends (and so as many
// connections and goroutines) as the real soak: the runtime keeps the goroutine
// descriptors of its peak for ever, and a smaller warm-up left them out of the baseline.
func warmUp(t *testing.T, open func() ([]lock.Backend, func())) {
	bs, closeAll := open()
	runSoak(t, bs, time.Second)
	closeAll()
}

func reportSoak(t *testing.T, st *soakStats) {
	t.Logf("soak of %v: %s", soakDuration(), st)
	assert.Zero(t, st.overlaps.Load(), "two handles believed they held a name at once: %v", st.overlapSeen)
	// A timer run late now and then, on a starved machine, is the documented limit; a loss
	// that is not told in time at all would show in far more holds than this.
	assert.LessOrEqual(t, st.lateLoss.Load()*1000, st.holds.Load(), "losses heard after the key expired")
	assert.Zero(t, st.fenceErrors.Load(), "a fence did not grow")
	assert.Zero(t, st.unexpected.Load(), "first unexpected error: %v", st.firstErr.Load())
	assert.Positive(t, st.holds.Load())
	assert.Positive(t, st.lost.Load(), "some timed holds outlasted their timeout")
}

// TestSoakLocal: the soak on the in-memory backend; afterwards it keeps no name.
func TestSoakLocal(t *testing.T) {
	warmUp(t, func() ([]lock.Backend, func()) {
		b := local.New(driver.Options{Blocking: lock.Forever, Logger: quiet})
		return []lock.Backend{b}, func() { _ = b.Close() }
	})
	goroutines, heap := runtime.NumGoroutine(), heapAlloc()
	b := local.New(driver.Options{Blocking: lock.Forever, Logger: quiet})
	st := runSoak(t, []lock.Backend{b}, soakDuration())
	assert.Zero(t, b.Len(), "names left in the registry")
	require.NoError(t, b.Close())
	b = nil
	reportSoak(t, st)
	checkRecovered(t, goroutines, heap)
}

// TestSoakRedis: the soak on a real server, through two backends (two processes, as far
// as Redis can tell). Afterwards the server keeps only the one fence counter.
//
// Timed holds are lost on purpose. Their Lost fires at the safe deadline, a drift margin
// before the key expires on the server; that margin must also cover how late this process
// runs the timer, which under -race with 256 busy goroutines on two cores can be tens of
// milliseconds: so the backends use a 50ms margin.
func TestSoakRedis(t *testing.T) {
	s := redistest.Start(t)
	open := func() (lock.Backend, *goredis.Client) {
		c := goredis.NewClient(&goredis.Options{Addr: s.Addr(), ContextTimeoutEnabled: true, PoolSize: 64})
		b, err := redislock.New(c, redislock.WithLogger(quiet), redislock.WithPrefix("soak:"),
			redislock.WithLease(2*time.Second), redislock.WithDriftMargin(50*time.Millisecond))
		require.NoError(t, err)
		return b, c
	}
	warmUp(t, func() ([]lock.Backend, func()) {
		b1, c1 := open()
		b2, c2 := open()
		return []lock.Backend{b1, b2}, func() { _ = b1.Close(); _ = c1.Close(); _ = b2.Close(); _ = c2.Close() }
	})
	goroutines, heap := runtime.NumGoroutine(), heapAlloc()
	var clients []*goredis.Client
	var backends []lock.Backend
	for i := 0; i < 2; i++ {
		b, c := open()
		clients, backends = append(clients, c), append(backends, b)
	}
	st := runSoak(t, backends, soakDuration())

	check := goredis.NewClient(&goredis.Options{Addr: s.Addr()})
	ctx := testCtx(t)
	var left []string
	assert.Eventually(t, func() bool {
		left = left[:0]
		keys, err := check.Keys(ctx, "soak:*").Result()
		if err != nil {
			return false
		}
		for _, k := range keys {
			if k != "soak:fence:v2" {
				left = append(left, k)
			}
		}
		return len(left) == 0
	}, eventually, 50*time.Millisecond, "keys left on the server")
	t.Logf("keys left: %v", left)

	require.NoError(t, check.Close())
	for i := range backends {
		require.NoError(t, backends[i].Close())
		require.NoError(t, clients[i].Close())
	}
	backends, clients = nil, nil
	reportSoak(t, st)
	checkRecovered(t, goroutines, heap)
}
