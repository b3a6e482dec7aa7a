package reliability_test

import (
	"context"
	"math/rand/v2"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/batonlock/baton/internal/redistest"
)

// A fault runs until ctx ends, against the servers listed in nodes (all of them on a single
// server; a minority or a majority of a quorum), and undoes itself before it returns.
type fault func(ctx context.Context, e *chaosEnv, nodes []int, rng *rand.Rand)

// The faults, each bounded in time and count.
var (
	killRestart = func(ctx context.Context, e *chaosEnv, nodes []int, _ *rand.Rand) {
		pace(ctx, 600*time.Millisecond, 5, func() {
			for _, n := range nodes {
				e.servers[n].Kill()
			}
			hold(ctx, 300*time.Millisecond)
			for _, n := range nodes {
				e.servers[n].Restart()
			}
		})
	}
	delayedRestart = func(ctx context.Context, e *chaosEnv, nodes []int, _ *rand.Rand) {
		for _, n := range nodes {
			e.servers[n].Kill()
		}
		// Longer than every TTL a key of this run can have: the lease, the timed holds'
		// timeout, a grant's TTL (the lease at most) and a waiter's queue entry (1.5 s).
		hold(context.Background(), 1600*time.Millisecond)
		for _, n := range nodes {
			e.servers[n].Restart()
		}
	}
	stopHolder = func(ctx context.Context, e *chaosEnv, _ []int, rng *rand.Rand) {
		pace(ctx, 300*time.Millisecond, 3, func() {
			i := rng.IntN(len(e.procs))
			e.signal(i, syscall.SIGSTOP)
			hold(ctx, chaosLease*3/2) // past the lease and the timed holds' timeout
			e.signal(i, syscall.SIGCONT)
		})
	}
	debugSleep = adminLoop(700*time.Millisecond, 6, func(ctx context.Context, e *chaosEnv, n int, _ *rand.Rand) {
		_ = e.admins[n].Do(ctx, "DEBUG", "SLEEP", "0.4").Err()
	})
	clientPause = adminLoop(800*time.Millisecond, 6, func(ctx context.Context, e *chaosEnv, n int, _ *rand.Rand) {
		_ = e.admins[n].Do(ctx, "CLIENT", "PAUSE", "400", "WRITE").Err()
	})
	clientKill = adminLoop(50*time.Millisecond, 200, func(ctx context.Context, e *chaosEnv, n int, rng *rand.Rand) {
		if ids := clientIDs(ctx, e, n, ""); len(ids) > 0 {
			_ = e.admins[n].Do(ctx, "CLIENT", "KILL", "ID", ids[rng.IntN(len(ids))]).Err()
		}
	})
	pubsubKill = adminLoop(150*time.Millisecond, 100, func(ctx context.Context, e *chaosEnv, n int, _ *rand.Rand) {
		_ = e.admins[n].Do(ctx, "CLIENT", "KILL", "TYPE", "pubsub").Err()
	})
	flushAll = adminLoop(400*time.Millisecond, 20, func(ctx context.Context, e *chaosEnv, n int, _ *rand.Rand) {
		_ = e.admins[n].FlushAll(ctx).Err()
	})
	fenceCounter = adminLoop(100*time.Millisecond, 100, func(ctx context.Context, e *chaosEnv, n int, rng *rand.Rand) {
		if rng.IntN(2) == 0 {
			_ = e.admins[n].Del(ctx, chaosPrefix+"fence:v2").Err()
		} else {
			_ = e.admins[n].Set(ctx, chaosPrefix+"fence:v2", rng.IntN(1000), 0).Err()
		}
	})
	scriptFlush = adminLoop(100*time.Millisecond, 100, func(ctx context.Context, e *chaosEnv, n int, _ *rand.Rand) {
		_ = e.admins[n].ScriptFlush(ctx).Err()
	})
	proxyStall = proxyLoop(func(ctx context.Context, p *redistest.Proxy) { p.Pause(); hold(ctx, 600*time.Millisecond); p.Resume() })
	proxyCut   = proxyLoop(func(_ context.Context, p *redistest.Proxy) { p.Cut() })
	proxySlow  = proxyLoop(func(ctx context.Context, p *redistest.Proxy) {
		p.SetLatency(40 * time.Millisecond)
		hold(ctx, time.Second)
		p.SetLatency(0)
	})
	proxyNewOld = proxyLoop(func(ctx context.Context, p *redistest.Proxy) {
		// New connections stall while the old ones answer: a pool that grows, or a
		// subscription that reconnects, waits on a half-dead path.
		p.HoldNew()
		hold(ctx, 800*time.Millisecond)
		p.ReleaseNew()
	})
)

// adminLoop makes a fault of an admin command sent to each of the nodes every period.
func adminLoop(period time.Duration, max int, cmd func(ctx context.Context, e *chaosEnv, n int, rng *rand.Rand)) fault {
	return func(ctx context.Context, e *chaosEnv, nodes []int, rng *rand.Rand) {
		pace(ctx, period, max, func() {
			for _, n := range nodes {
				cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				cmd(cctx, e, n, rng)
				cancel()
			}
		})
	}
}

// proxyLoop makes a fault of a proxy action on a random child's links to the nodes.
func proxyLoop(act func(ctx context.Context, p *redistest.Proxy)) fault {
	return func(ctx context.Context, e *chaosEnv, nodes []int, rng *rand.Rand) {
		pace(ctx, 300*time.Millisecond, 20, func() {
			row := e.proxies[rng.IntN(len(e.proxies))]
			for _, n := range nodes {
				act(ctx, row[n])
			}
		})
	}
}

// clientIDs lists the ids of node n's client connections (of type typ, "" for any), but not
// the admin's own.
func clientIDs(ctx context.Context, e *chaosEnv, n int, typ string) []string {
	args := []any{"CLIENT", "LIST"}
	if typ != "" {
		args = append(args, "TYPE", typ)
	}
	list, err := e.admins[n].Do(ctx, args...).Text()
	if err != nil {
		return nil
	}
	self, _ := e.admins[n].ClientID(ctx).Result()
	var ids []string
	for _, line := range strings.Split(list, "\n") {
		for _, f := range strings.Fields(line) {
			if id, ok := strings.CutPrefix(f, "id="); ok && id != strconv.FormatInt(self, 10) {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// mix runs one of faults at random, again and again, each for a short while.
func mix(faults ...fault) fault {
	return func(ctx context.Context, e *chaosEnv, nodes []int, rng *rand.Rand) {
		for ctx.Err() == nil {
			fctx, cancel := context.WithTimeout(ctx, time.Duration(500+rng.IntN(1500))*time.Millisecond)
			faults[rng.IntN(len(faults))](fctx, e, nodes, rng)
			cancel()
		}
	}
}
