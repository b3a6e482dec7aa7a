package reliability_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/batonlock/baton/lock"
	_ "github.com/batonlock/baton/lock/quorum" // redis+quorum://
	_ "github.com/batonlock/baton/lock/redis"  // redis://
	"github.com/batonlock/baton/reliability/history"
)

// chaosChildEnv carries a child's chaosChild configuration, as JSON, from the parent.
const chaosChildEnv = "BATON_CHAOS_CHILD"

// chaosChild is what one child process of a chaos run does.
type chaosChild struct {
	Proc       int           // the process's number in the run
	URL        string        // the lock backend (through the process's own proxies)
	Store      string        // host:port of the fenced store's server, which no fault touches
	Out        string        // the history file
	Goroutines int           // workers
	Names      []string      // the names they lock
	Run        time.Duration // how long they lock
}

// closeBound is how long a child's Backend.Close may take (it releases what it still holds
// under a short deadline of its own).
const closeBound = 5 * time.Second

// storeScript is the fenced store: it refuses a write whose fence is below the largest it
// accepted. Lua numbers are doubles, exact for every fence (≤ 2^53).
var storeScript = goredis.NewScript(`
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) < cur then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
return 1`)

// TestHelperProcess is a chaos run's child process: the parent runs the test binary again
// with only this test and the chaosChildEnv variable set. Without it, it does nothing.
func TestHelperProcess(t *testing.T) {
	raw := os.Getenv(chaosChildEnv)
	if raw == "" {
		return
	}
	var cfg chaosChild
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		t.Fatalf("child: %v", err)
	}
	if err := cfg.run(); err != nil {
		t.Fatalf("child %d: %v", cfg.Proc, err)
	}
}

func (cfg chaosChild) run() error {
	rec, err := history.Create(cfg.Out)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Run)
	defer cancel()
	b, err := lock.Open(ctx, cfg.URL)
	if err != nil {
		return errors.Join(err, rec.Close())
	}
	store := goredis.NewClient(&goredis.Options{Addr: cfg.Store, ContextTimeoutEnabled: true})
	fmt.Println("ready") // the parent starts its faults now
	w := &chaosWorkers{cfg: cfg, b: b, rec: rec, store: store}
	var wg sync.WaitGroup
	for g := 1; g <= cfg.Goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.loop(ctx, g)
		}()
	}
	wg.Wait()
	call := history.Now()
	cerr := b.Close()
	rec.Add(history.Record{Proc: cfg.Proc, Kind: history.Close, Call: call, Return: history.Now(),
		Limit: call + int64(closeBound), Outcome: outcome(cerr)})
	return errors.Join(cerr, store.Close(), rec.Close())
}

// chaosWorkers are one process's goroutines.
type chaosWorkers struct {
	cfg   chaosChild
	b     lock.Backend
	rec   *history.Recorder
	store *goredis.Client
	holds atomic.Int64 // hold numbers, unique within the process
}

// handle is one goroutine's lock of a name, and the hold it is on (for its Observer).
type handle struct {
	l    lock.Locker
	hold atomic.Int64
	// timeout of the handle's holds, 0 for leased ones.
	timeout time.Duration
	// blocking is the handle's WithBlocking; with Forever, each Acquire gets a ctx deadline.
	blocking time.Duration
}

// waits are the blocking windows of the workers' handles.
var waits = []time.Duration{lock.NoWait, 300 * time.Millisecond, 1500 * time.Millisecond, lock.Forever}

func (w *chaosWorkers) loop(ctx context.Context, g int) {
	handles := map[string]*handle{}
	rng := rand.New(rand.NewPCG(uint64(w.cfg.Proc), uint64(g)))
	for ctx.Err() == nil {
		name := w.cfg.Names[rng.IntN(len(w.cfg.Names))]
		timed := rng.IntN(2) == 0
		wait := waits[rng.IntN(len(waits))]
		key := fmt.Sprintf("%s/%v/%v", name, timed, wait)
		h := handles[key]
		if h == nil {
			var err error
			if h, err = w.newHandle(g, name, timed, wait); err != nil {
				w.rec.Add(history.Record{Proc: w.cfg.Proc, Client: g, Kind: history.Acquire, Name: name, Outcome: history.Failed, Err: err.Error()})
				return
			}
			handles[key] = h
		}
		w.cycle(ctx, g, h, rng)
	}
}

func (w *chaosWorkers) newHandle(g int, name string, timed bool, wait time.Duration) (*handle, error) {
	h := &handle{blocking: wait}
	if timed {
		h.timeout = 700 * time.Millisecond
	}
	obs := lock.ObserverFunc(func(e lock.Event) {
		if e.Kind == lock.Lost {
			at := history.Now() // the moment the backend marks the hold lost
			w.rec.Add(history.Record{Proc: w.cfg.Proc, Client: g, Kind: history.Lost, Name: name,
				Hold: int(h.hold.Load()), Call: at, Return: at, Fence: e.Fence, Err: errString(e.Err)})
		}
	})
	opts := []lock.Option{lock.WithObserver(obs), lock.WithLogger(quiet), lock.WithBlocking(wait)}
	if timed {
		opts = append(opts, lock.WithTimeout(h.timeout))
	}
	l, err := w.b.NewLock(name, opts...)
	h.l = l
	return h, err
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
