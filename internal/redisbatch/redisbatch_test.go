package redisbatch_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redisbatch"
	"github.com/batonlock/baton/internal/redistest"
)

// Every script call carries a marker as its last argument, so the probe can tell the calls
// apart on their way to the server.
var (
	echo = goredis.NewScript(`return ARGV[1]`)
	incr = goredis.NewScript(`return redis.call('INCR', KEYS[1])`)
	fail = goredis.NewScript(`return redis.error_reply('boom ' .. ARGV[1])`)
	bad  = goredis.NewScript(`return redis.call('NOSUCHCOMMAND', ARGV[1])`)
)

// waitLimit bounds every wait in these tests: a hang fails the test instead of the run.
const waitLimit = 5 * time.Second

func TestNewInFlight(t *testing.T) {
	addr := redistest.StartMini(t).Addr()
	for _, tc := range []struct{ inFlight, want int }{
		{-3, redisbatch.DefaultInFlight},
		{0, redisbatch.DefaultInFlight},
		{1, 1},
		{3, 3},
	} {
		t.Run(fmt.Sprint(tc.inFlight), func(t *testing.T) {
			p := newProbe()
			c := newClient(t, addr, p)
			b := newBatcher(t, c, tc.inFlight)
			ctx := testContext(t)
			load(t, ctx, c, echo)

			// Calls held at the client fill the slots one by one: each goes straight to it.
			var calls []*pending
			for i := 0; i < tc.want; i++ {
				m := fmt.Sprint("held", i)
				h := p.hold(m)
				calls = append(calls, run(func() *goredis.Cmd { return b.EvalSha(ctx, echo.Hash(), nil, m) }))
				await(t, h.reached, m+" reaching the client")
			}
			// One more finds every slot taken and waits in the queue, unsent.
			calls = append(calls, run(func() *goredis.Cmd { return b.EvalSha(ctx, echo.Hash(), nil, "queued") }))
			waitQueued(t, 1)
			assert.Zero(t, p.count("queued"), "a call beyond the slots was sent")

			p.releaseAll()
			for i, call := range calls {
				want := fmt.Sprint("held", i)
				if i == tc.want {
					want = "queued"
				}
				v, err := call.result(t).Text()
				require.NoError(t, err)
				assert.Equal(t, want, v)
			}
			assert.Equal(t, 1, p.count("queued"))
		})
	}
}

func TestLoneCallerGoesStraightToClient(t *testing.T) {
	onServers(t, func(t *testing.T, addr string) {
		p := newProbe()
		c := newClient(t, addr, p)
		b := newBatcher(t, c, 0)
		ctx := testContext(t)
		load(t, ctx, c, echo, incr)

		for i := 0; i < 20; i++ {
			m := fmt.Sprint("lone", i)
			v, err := b.EvalSha(ctx, echo.Hash(), nil, m).Text()
			require.NoError(t, err)
			assert.Equal(t, m, v)
			n, err := b.EvalSha(ctx, incr.Hash(), []string{"lone"}, m).Int()
			require.NoError(t, err)
			assert.Equal(t, i+1, n)
			v, err = b.EvalShaRO(ctx, echo.Hash(), nil, m+"ro").Text()
			require.NoError(t, err)
			assert.Equal(t, m+"ro", v)
		}
		assert.Len(t, p.alone(), 60, "every call sent alone")
		assert.Empty(t, p.pipelines(), "a lone caller waited for a pipeline")
		waitQueued(t, 0)
	})
}

// Many goroutines at once: each must get its own answer, every call must be sent exactly
// once, and calls must share pipelines (fewer round trips than calls).
func TestConcurrentCallers(t *testing.T) {
	onServers(t, func(t *testing.T, addr string) {
		const goroutines, rounds = 64, 25
		p := newProbe()
		c := newClient(t, addr, p)
		b := newBatcher(t, c, redisbatch.DefaultInFlight)
		ctx := testContext(t)
		load(t, ctx, c, echo, incr)

		<-fanOut(goroutines, func(g int) {
			key := fmt.Sprint("n:", g)
			for i := 0; i < rounds; i++ {
				m := fmt.Sprintf("echo:%d:%d", g, i)
				v, err := b.EvalSha(ctx, echo.Hash(), nil, m).Text()
				if !assert.NoError(t, err) || !assert.Equal(t, m, v, "answer of another call") {
					return
				}
				if !incrOnce(t, ctx, b, key, i) {
					return
				}
			}
		})
		if t.Failed() {
			return
		}

		for g := 0; g < goroutines; g++ {
			n, err := c.Get(ctx, fmt.Sprint("n:", g)).Int()
			require.NoError(t, err)
			assert.Equal(t, rounds, n, "INCRs on n:%d", g)
		}
		alone, pipes := p.alone(), p.pipelines()
		seen := map[string]int{}
		for _, s := range alone {
			seen[s.marker]++
		}
		multi := 0
		for _, pipe := range pipes {
			if len(pipe) > 1 {
				multi++
			}
			for _, s := range pipe {
				seen[s.marker]++
			}
		}
		calls := 2 * goroutines * rounds
		assert.Len(t, seen, calls, "calls sent")
		for m, n := range seen {
			if n != 1 {
				t.Errorf("%s sent %d times", m, n)
			}
		}
		assert.Positive(t, multi, "no pipeline carried more than one call")
		assert.Less(t, len(alone)+len(pipes), calls, "round trips")
		t.Logf("%d calls in %d round trips (%d pipelines of more than one call)", calls, len(alone)+len(pipes), multi)
	})
}

func TestScriptRunFallsBackToEval(t *testing.T) {
	onServers(t, func(t *testing.T, addr string) {
		p := newProbe()
		c := newClient(t, addr, p)
		b := newBatcher(t, c, 0)
		ctx := testContext(t)
		s := goredis.NewScript(`return 'run:' .. ARGV[1]`)
		names := func() []string {
			var ns []string
			for _, x := range p.alone() {
				ns = append(ns, x.name)
			}
			return ns
		}

		v, err := s.Run(ctx, b, nil, "a").Text()
		require.NoError(t, err, "unknown script")
		assert.Equal(t, "run:a", v)
		assert.Equal(t, []string{"evalsha", "eval"}, names(), "NOSCRIPT, then EVAL")

		p.reset()
		v, err = s.Run(ctx, b, nil, "b").Text()
		require.NoError(t, err, "loaded script")
		assert.Equal(t, "run:b", v)
		assert.Equal(t, []string{"evalsha"}, names())

		require.NoError(t, c.ScriptFlush(ctx).Err())
		p.reset()
		v, err = s.Run(ctx, b, nil, "c").Text()
		require.NoError(t, err, "after SCRIPT FLUSH")
		assert.Equal(t, "run:c", v)
		assert.Equal(t, []string{"evalsha", "eval"}, names())

		require.NoError(t, c.ScriptFlush(ctx).Err())
		p.reset()
		v, err = s.RunRO(ctx, b, nil, "d").Text()
		require.NoError(t, err, "RunRO after SCRIPT FLUSH")
		assert.Equal(t, "run:d", v)
		assert.Equal(t, []string{"evalsha_ro", "eval_ro"}, names())

		h, err := b.ScriptLoad(ctx, `return 'loaded'`).Result()
		require.NoError(t, err)
		ok, err := b.ScriptExists(ctx, h, echo.Hash()).Result()
		require.NoError(t, err)
		assert.Equal(t, []bool{true, false}, ok, "after SCRIPT FLUSH")
		v, err = b.EvalSha(ctx, h, nil, "x").Text()
		require.NoError(t, err)
		assert.Equal(t, "loaded", v)
	})
}

// Calls that share a pipeline all get NOSCRIPT after SCRIPT FLUSH, and each falls back to
// EVAL on its own.
func TestNoScriptInPipeline(t *testing.T) {
	onServers(t, func(t *testing.T, addr string) {
		const n = 8
		p, _, b, ctx := oneSlot(t, addr, echo)
		s := goredis.NewScript(`return 'run:' .. ARGV[1]`)

		h, held := occupy(t, ctx, b, p)
		var calls []*pending
		for i := 0; i < n; i++ {
			m := fmt.Sprint(i)
			calls = append(calls, run(func() *goredis.Cmd { return s.Run(ctx, b, nil, m) }))
		}
		waitQueued(t, n)
		h.release()

		require.NoError(t, held.result(t).Err())
		for i, call := range calls {
			v, err := call.result(t).Text()
			require.NoError(t, err)
			assert.Equal(t, fmt.Sprint("run:", i), v)
		}
		pipes := p.pipelines()
		require.Len(t, pipes, 1)
		assert.Len(t, pipes[0], n, "the queued calls share one pipeline")
		evals := 0
		for _, x := range p.alone() {
			if x.name == "eval" {
				evals++
			}
		}
		assert.Equal(t, n, evals, "each call falls back to EVAL")
	})
}

// A call whose context ends while it waits in the queue returns at once with the
// context's error and is never sent: its script's side effect never happens.
func TestContextEndsWhileQueued(t *testing.T) {
	for _, tc := range []struct {
		name string
		ctx  func(parent context.Context) (context.Context, context.CancelFunc)
		want error
	}{
		// The deadline may pass before the call is seen in the queue: it can only be there.
		{"deadline", func(parent context.Context) (context.Context, context.CancelFunc) {
			return context.WithTimeout(parent, 50*time.Millisecond)
		}, context.DeadlineExceeded},
		{"cancel", context.WithCancel, context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			onServers(t, func(t *testing.T, addr string) {
				p, c, b, ctx := oneSlot(t, addr, echo, incr)

				h, held := occupy(t, ctx, b, p)
				short, cancel := tc.ctx(ctx)
				defer cancel()
				queued := run(func() *goredis.Cmd { return b.EvalSha(short, incr.Hash(), []string{"side"}, "queued") })
				if tc.want == context.Canceled {
					waitQueued(t, 1)
					cancel()
				}

				// It returns while the call ahead of it still holds the only slot.
				err := queued.result(t).Err()
				assert.ErrorIs(t, err, tc.want)
				assert.False(t, held.returned())
				waitQueued(t, 0)

				h.release()
				require.NoError(t, held.result(t).Err())
				v, err := b.EvalSha(ctx, echo.Hash(), nil, "after").Text()
				require.NoError(t, err)
				assert.Equal(t, "after", v)
				assert.Equal(t, []sent{{"evalsha", "held"}, {"evalsha", "after"}}, p.alone(), "the slot is free again")
				assert.Empty(t, p.pipelines())
				assert.Zero(t, p.count("queued"), "the cancelled call was sent")
				assert.ErrorIs(t, c.Get(ctx, "side").Err(), goredis.Nil, "the cancelled call's INCR ran")
			})
		})
	}
}

// A call whose context ends while its pipeline is in flight returns at once with the
// context's error; the others in the pipeline get their answers; its own answer is dropped
// without racing with what the caller reads.
func TestContextEndsWhilePipelineInFlight(t *testing.T) {
	onServers(t, func(t *testing.T, addr string) {
		p, c, b, ctx := oneSlot(t, addr, echo, incr)
		require.NoError(t, b.Settle(ctx), "Settle with nothing in flight")

		h, held := occupy(t, ctx, b, p)
		short, cancel := context.WithCancel(ctx)
		defer cancel()
		gone := run(func() *goredis.Cmd { return b.EvalSha(short, incr.Hash(), []string{"side"}, "gone") })
		waitQueued(t, 1)
		stays := run(func() *goredis.Cmd { return b.EvalSha(ctx, echo.Hash(), nil, "stays") })
		waitQueued(t, 2)

		pipe := p.hold("stays") // holds the pipeline at the client, as a slow server would
		h.release()
		require.NoError(t, held.result(t).Err())
		await(t, pipe.reached, "the pipeline")
		cancel()
		cmd := gone.result(t)
		assert.ErrorIs(t, cmd.Err(), context.Canceled)
		assert.Nil(t, cmd.Val())
		assert.False(t, stays.returned())

		// Settle waits for the pipeline of a call given up on, so that an undo sent after it
		// cannot overtake that call on the server.
		settled := make(chan error, 1)
		go func() { settled <- b.Settle(ctx) }()
		brief, stop := context.WithTimeout(ctx, 50*time.Millisecond)
		defer stop()
		require.ErrorIs(t, b.Settle(brief), context.DeadlineExceeded, "settled with the pipeline in flight")
		n, err := c.Exists(ctx, "side").Result()
		require.NoError(t, err)
		require.Zero(t, n, "the held pipeline ran")

		// The caller reads its command while the pipeline answers the one it sent: the race
		// detector objects if they are the same.
		var done atomic.Bool
		reader := make(chan struct{})
		go func() {
			defer close(reader)
			for !done.Load() {
				_, _ = cmd.Result()
				runtime.Gosched()
			}
		}()
		pipe.release()
		v, err := stays.result(t).Text()
		done.Store(true)
		<-reader
		require.NoError(t, err)
		assert.Equal(t, "stays", v)
		assert.ErrorIs(t, cmd.Err(), context.Canceled, "the dropped answer reached the caller")

		select {
		case err := <-settled:
			require.NoError(t, err)
		case <-time.After(waitLimit):
			t.Fatal("Settle did not return when the pipeline was answered")
		}
		pipes := p.pipelines()
		require.Len(t, pipes, 1)
		assert.Equal(t, []sent{{"evalsha", "gone"}, {"evalsha", "stays"}}, pipes[0])
		got, err := c.Get(ctx, "side").Int()
		require.NoError(t, err, "a call already sent runs on the server")
		assert.Equal(t, 1, got)
	})
}

// A script error in one call of a pipeline fails that call only.
func TestErrorInPipelineFailsOnlyItsCall(t *testing.T) {
	onServers(t, func(t *testing.T, addr string) {
		p, _, b, ctx := oneSlot(t, addr, echo, incr, fail, bad)

		h, held := occupy(t, ctx, b, p)
		var calls []*pending
		for _, f := range []func() *goredis.Cmd{
			func() *goredis.Cmd { return b.EvalSha(ctx, echo.Hash(), nil, "first") },
			func() *goredis.Cmd { return b.EvalSha(ctx, fail.Hash(), nil, "reply") },
			func() *goredis.Cmd { return b.EvalSha(ctx, incr.Hash(), []string{"n"}, "incr") },
			func() *goredis.Cmd { return b.EvalSha(ctx, bad.Hash(), nil, "runtime") },
			func() *goredis.Cmd {
				return b.EvalSha(ctx, "0123456789012345678901234567890123456789", nil, "noscript")
			},
			func() *goredis.Cmd { return b.EvalSha(ctx, echo.Hash(), nil, "last") },
		} {
			calls = append(calls, run(f))
			waitQueued(t, len(calls))
		}
		h.release()
		require.NoError(t, held.result(t).Err())

		v, err := calls[0].result(t).Text()
		require.NoError(t, err)
		assert.Equal(t, "first", v)
		err = calls[1].result(t).Err()
		require.Error(t, err)
		assert.Contains(t, err.Error(), "boom reply")
		n, err := calls[2].result(t).Int()
		require.NoError(t, err)
		assert.Equal(t, 1, n)
		assert.Error(t, calls[3].result(t).Err())
		assert.True(t, goredis.HasErrorPrefix(calls[4].result(t).Err(), "NOSCRIPT"), "%v", calls[4].result(t).Err())
		v, err = calls[5].result(t).Text()
		require.NoError(t, err)
		assert.Equal(t, "last", v)

		pipes := p.pipelines()
		require.Len(t, pipes, 1)
		assert.Len(t, pipes[0], len(calls))
	})
}

func TestClose(t *testing.T) {
	t.Run("cuts the pipeline in flight short", func(t *testing.T) {
		addr := redistest.StartMini(t).Addr()
		p := newProbe()
		c := newClient(t, addr, p)
		ctx := testContext(t)
		load(t, ctx, c, echo)
		b := redisbatch.New(c, 1)
		t.Cleanup(b.Close)

		h, held := occupy(t, ctx, b, p)
		var calls []*pending
		for _, m := range []string{"a", "b"} {
			calls = append(calls, run(func() *goredis.Cmd { return b.EvalSha(ctx, echo.Hash(), nil, m) }))
			waitQueued(t, len(calls))
		}
		pipe := p.hold("a") // the pipeline never gets past the client, unless its context ends
		h.release()
		require.NoError(t, held.result(t).Err())
		await(t, pipe.reached, "the pipeline")

		closed := run(func() *goredis.Cmd { b.Close(); return nil })
		await(t, closed.done, "Close")
		for _, call := range calls {
			assert.ErrorIs(t, call.result(t).Err(), redisbatch.ErrClosed)
		}
		assert.Eventually(t, func() bool { return batcherGoroutines() == 0 }, time.Second, time.Millisecond,
			"goroutines of the Batcher outlive Close")

		// Calls after Close go straight to the client and still work.
		assertAllAlone(t, b, p, ctx)
		b.Close() // twice is fine
	})

	t.Run("calls after Close go straight to the client", func(t *testing.T) {
		onServers(t, func(t *testing.T, addr string) {
			p := newProbe()
			c := newClient(t, addr, p)
			b := redisbatch.New(c, 1)
			ctx := testContext(t)
			load(t, ctx, c, echo)
			b.Close()
			assertAllAlone(t, b, p, ctx)
		})
	})
}

// TestCloseReleasesCallersOfStalledPipeline: go-redis bounds a read by its context's
// deadline, not by its cancellation, so Close cannot cut short a pipeline stalled on the
// network. It answers the pipeline's callers at once with ErrClosed, and returns itself
// when the read ends: here, when the client is closed.
func TestCloseReleasesCallersOfStalledPipeline(t *testing.T) {
	proxy, c, p := stallableClient(t)
	ctx := context.Background() // nothing but Close ends the pipeline
	load(t, ctx, c, echo)
	b := redisbatch.New(c, 1)
	t.Cleanup(b.Close)
	t.Cleanup(proxy.Resume) // before b.Close

	h, held := occupy(t, ctx, b, p)
	var calls []*pending
	for _, m := range []string{"a", "b"} {
		calls = append(calls, run(func() *goredis.Cmd { return b.EvalSha(ctx, echo.Hash(), nil, m) }))
		waitQueued(t, len(calls))
	}
	sending := make(chan struct{})
	var once sync.Once
	p.setOnPipeline(func() { once.Do(func() { proxy.Pause(); close(sending) }) })
	h.release()
	require.NoError(t, held.result(t).Err())
	await(t, sending, "the pipeline")

	closed := run(func() *goredis.Cmd { b.Close(); return nil })
	for _, call := range calls {
		select {
		case <-call.done:
		case <-time.After(time.Second):
			t.Fatal("a caller of the stalled pipeline was not released by Close")
		}
		assert.ErrorIs(t, call.result(t).Err(), redisbatch.ErrClosed)
	}
	require.NoError(t, c.Close())
	await(t, closed.done, "Close, once the client is closed")
}

// TestCloseLeavesNoWorkBehind: Close with calls queued behind a call that went straight to
// the client answers them with ErrClosed; when the direct call ends, no goroutine starts
// to send them after Close has returned (perhaps after the client was closed).
func TestCloseLeavesNoWorkBehind(t *testing.T) {
	addr := redistest.StartMini(t).Addr()
	p := newProbe()
	c := newClient(t, addr, p)
	ctx := testContext(t)
	load(t, ctx, c, echo, incr)
	b := redisbatch.New(c, 1)
	t.Cleanup(b.Close)

	var closed atomic.Bool
	var late atomic.Int32
	p.setOnSend(func() {
		buf := make([]byte, 1<<16)
		if closed.Load() && strings.Contains(string(buf[:runtime.Stack(buf, false)]), "(*Batcher).drain") {
			late.Add(1)
		}
	})
	h, held := occupy(t, ctx, b, p)
	queued := run(func() *goredis.Cmd { return b.EvalSha(ctx, incr.Hash(), []string{"side"}, "queued") })
	waitQueued(t, 1)

	b.Close()
	closed.Store(true)
	h.release()
	require.NoError(t, held.result(t).Err())
	assert.ErrorIs(t, queued.result(t).Err(), redisbatch.ErrClosed, "a queued call cut short by Close")
	assert.Zero(t, late.Load(), "a goroutine of the Batcher sent a call after Close returned")
}

// assertAllAlone checks that 64 concurrent calls through a closed b all work and each goes
// to the client alone.
func assertAllAlone(t *testing.T, b *redisbatch.Batcher, p *probe, ctx context.Context) {
	t.Helper()
	p.reset()
	const n = 64
	var calls []*pending
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		m := fmt.Sprint("after", i)
		calls = append(calls, run(func() *goredis.Cmd { <-start; return b.EvalSha(ctx, echo.Hash(), nil, m) }))
	}
	close(start)
	for i, call := range calls {
		v, err := call.result(t).Text()
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprint("after", i), v)
	}
	assert.Len(t, p.alone(), n)
	assert.Empty(t, p.pipelines(), "a call after Close waited for a pipeline")
}

// A pipeline stalled on the network lasts until the latest of its calls' deadlines, not
// until the client's ReadTimeout: then its slot is free for the calls after it.
func TestPipelineEndsAtLatestDeadline(t *testing.T) {
	proxy, c, p := stallableClient(t)
	b := newBatcher(t, c, 1)
	ctx := testContext(t)
	load(t, ctx, c, echo)

	h, held := occupy(t, ctx, b, p)
	var calls []*pending
	for i, d := range []time.Duration{300 * time.Millisecond, 100 * time.Millisecond} {
		call, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		calls = append(calls, run(func() *goredis.Cmd { return b.EvalSha(call, echo.Hash(), nil, fmt.Sprint(i)) }))
		waitQueued(t, len(calls))
	}
	p.setOnPipeline(proxy.Pause)
	h.release()
	require.NoError(t, held.result(t).Err())
	for _, call := range calls {
		// The pipeline's read times out with the last call's deadline; every call answers
		// with its own context's error, whichever of the two its goroutine saw first.
		assert.ErrorIs(t, call.result(t).Err(), context.DeadlineExceeded)
	}

	// The link is still stalled: the next call cannot succeed, but it must be sent.
	next, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	assert.Error(t, b.EvalSha(next, echo.Hash(), nil, "next").Err())
	assert.Equal(t, 1, p.count("next"), "the call after the stalled pipeline was never sent")
	proxy.Resume()
}

// On a cluster every call goes straight to the client, however many are in flight (a
// pipeline spanning nodes is as slow as its slowest node): a call held up, as on a dead
// master, holds up no other. Each call goes to the node that serves its first key
// (redirections are off, so a call sent elsewhere fails).
func TestCluster(t *testing.T) {
	cl := redistest.StartCluster(t, 3)
	p := newProbe()
	c := goredis.NewClusterClient(&goredis.ClusterOptions{Addrs: cl.Addrs(), MaxRetries: -1, MaxRedirects: -1,
		ContextTimeoutEnabled: true})
	c.AddHook(p)
	t.Cleanup(func() { _ = c.Close() })
	ctx := testContext(t)
	load(t, ctx, c, echo, incr)
	b := newBatcher(t, c, 1)

	h := p.hold("held")
	held := run(func() *goredis.Cmd { return b.EvalSha(ctx, incr.Hash(), []string{"held"}, "held") })
	await(t, h.reached, "the held call")

	const goroutines, rounds = 64, 20
	nodes := map[string]bool{}
	for g := 0; g < goroutines; g++ {
		node, err := c.MasterForKey(ctx, fmt.Sprint("many:", g))
		require.NoError(t, err)
		nodes[node.Options().Addr] = true
	}
	require.Greater(t, len(nodes), 1, "keys on one node")
	done := fanOut(goroutines, func(g int) {
		key := fmt.Sprint("many:", g)
		for i := 0; i < rounds; i++ {
			if !incrOnce(t, ctx, b, key, i) {
				return
			}
		}
	})
	await(t, done, "the calls behind the held one")
	assert.False(t, held.returned())
	assert.Empty(t, p.pipelines(), "a cluster's calls shared a pipeline")
	assert.Len(t, p.alone(), 1+goroutines*rounds)

	h.release()
	n, err := held.result(t).Int()
	require.NoError(t, err)
	assert.Equal(t, 1, n)
}

// fanOut runs fn(0) ... fn(n-1) in n goroutines, released together so that their calls
// meet, and returns a channel closed when all have returned.
func fanOut(n int, fn func(g int)) <-chan struct{} {
	var wg sync.WaitGroup
	start, done := make(chan struct{}), make(chan struct{})
	for g := 0; g < n; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			fn(g)
		}()
	}
	close(start)
	go func() { wg.Wait(); close(done) }()
	return done
}

// incrOnce runs the INCR script on key for the i-th time and checks the count is i+1.
func incrOnce(t *testing.T, ctx context.Context, b *redisbatch.Batcher, key string, i int) bool {
	n, err := b.EvalSha(ctx, incr.Hash(), []string{key}, fmt.Sprint(key, ":", i)).Int()
	return assert.NoError(t, err) && assert.Equal(t, i+1, n, "INCR %s", key)
}

// onServers runs f as a subtest on a miniredis and on a real redis-server, each started
// for it.
func onServers(t *testing.T, f func(t *testing.T, addr string)) {
	t.Helper()
	t.Run("miniredis", func(t *testing.T) { f(t, redistest.StartMini(t).Addr()) })
	t.Run("redis-server", func(t *testing.T) { f(t, redistest.Start(t).Addr()) })
}

// stallableClient is a client, with a probe, of a real server behind a proxy that the test
// can stall; a stalled read ends at its context's deadline, long before ReadTimeout.
func stallableClient(t *testing.T) (*redistest.Proxy, *goredis.Client, *probe) {
	proxy := redistest.StartProxy(t, redistest.Start(t).Addr())
	p := newProbe()
	c := goredis.NewClient(&goredis.Options{Addr: proxy.Addr(), MaxRetries: -1, ContextTimeoutEnabled: true,
		ReadTimeout: 4 * waitLimit})
	c.AddHook(p)
	t.Cleanup(func() { _ = c.Close() })
	return proxy, c, p
}

func newClient(t *testing.T, addr string, p *probe) *goredis.Client {
	// No retries: a call sent twice would hide a call sent when it should not be.
	c := goredis.NewClient(&goredis.Options{Addr: addr, MaxRetries: -1, ContextTimeoutEnabled: true})
	c.AddHook(p)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func newBatcher(t *testing.T, c goredis.UniversalClient, inFlight int) *redisbatch.Batcher {
	b := redisbatch.New(c, inFlight)
	t.Cleanup(b.Close)
	return b
}

// oneSlot returns a client on addr with a probe, a Batcher over it with one slot, a
// context for the test, and scripts loaded.
func oneSlot(t *testing.T, addr string, scripts ...*goredis.Script) (*probe, *goredis.Client, *redisbatch.Batcher, context.Context) {
	t.Helper()
	p := newProbe()
	c := newClient(t, addr, p)
	b := newBatcher(t, c, 1)
	ctx := testContext(t)
	load(t, ctx, c, scripts...)
	return p, c, b, ctx
}

// occupy sends a call that p holds at the client until h.release, so that it keeps b's only
// slot meanwhile, and returns once the call has reached the client.
func occupy(t *testing.T, ctx context.Context, b *redisbatch.Batcher, p *probe) (h *hold, held *pending) {
	t.Helper()
	h = p.hold("held")
	held = run(func() *goredis.Cmd { return b.EvalSha(ctx, echo.Hash(), nil, "held") })
	await(t, h.reached, "the held call")
	return h, held
}

// testContext bounds a test's calls, so that one stuck in a queue ends with the test.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 4*waitLimit)
	t.Cleanup(cancel)
	return ctx
}

func load(t *testing.T, ctx context.Context, c goredis.Scripter, scripts ...*goredis.Script) {
	t.Helper()
	for _, s := range scripts {
		require.NoError(t, s.Load(ctx, c).Err())
	}
}

func await(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(waitLimit):
		t.Fatalf("still waiting for %s after %v", what, waitLimit)
	}
}

// pending is a call running on a goroutine of its own.
type pending struct {
	cmd  *goredis.Cmd
	done chan struct{}
}

func run(f func() *goredis.Cmd) *pending {
	p := &pending{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.cmd = f()
	}()
	return p
}

func (p *pending) result(t *testing.T) *goredis.Cmd {
	t.Helper()
	await(t, p.done, "a call to return")
	return p.cmd
}

func (p *pending) returned() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitQueued waits until exactly n calls wait in a Batcher's queue: goroutines parked in
// Batcher.do itself rather than in the client below it. The queue is not exported, and
// this is the one sign of it that does not depend on timing.
func waitQueued(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		got := queued()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d calls queued after %v, want %d", got, waitLimit, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func queued() int {
	count := 0
	for _, g := range stacks() {
		lines := strings.Split(g, "\n")
		if !strings.Contains(lines[0], "[select") {
			continue
		}
		for _, l := range lines[1:] {
			if strings.HasPrefix(l, "\t") || strings.HasPrefix(l, "runtime.") {
				continue
			}
			if strings.HasPrefix(l, "github.com/batonlock/baton/internal/redisbatch.(*Batcher).do(") {
				count++
			}
			break
		}
	}
	return count
}

// batcherGoroutines counts the goroutines running a Batcher's own code (not its callers').
func batcherGoroutines() int {
	count := 0
	for _, g := range stacks() {
		if strings.Contains(g, "internal/redisbatch.(*Batcher).") && !strings.Contains(g, "internal/redisbatch_test.") {
			count++
		}
	}
	return count
}

// stacks returns the stack of every goroutine.
func stacks() []string {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Split(string(buf[:n]), "\n\n")
		}
		buf = make([]byte, 2*len(buf))
	}
}

// sent is a script call on its way to the server: the command's name and the call's
// marker (its last argument).
type sent struct{ name, marker string }

// probe is a go-redis hook that records the script calls a client sends, alone or in
// pipelines, and holds back the calls (or pipelines) with a given marker until the test
// releases them or their context ends, as a slow server would.
type probe struct {
	mu     sync.Mutex
	sole   []sent
	pipes  [][]sent
	holds  map[string]*hold
	onPipe func() // runs before a pipeline of script calls goes on to the server
	onSend func() // runs on the goroutine that sends script calls, alone or in a pipeline
}

type hold struct {
	reached chan struct{} // closed when a held call reaches the client
	free    chan struct{} // closed by release
	once    sync.Once
}

func newProbe() *probe { return &probe{holds: make(map[string]*hold)} }

var _ goredis.Hook = (*probe)(nil)

func (p *probe) hold(marker string) *hold {
	h := &hold{reached: make(chan struct{}), free: make(chan struct{})}
	p.mu.Lock()
	p.holds[marker] = h
	p.mu.Unlock()
	return h
}

func (h *hold) release() {
	select {
	case <-h.free:
	default:
		close(h.free)
	}
}

func (h *hold) wait(ctx context.Context) error {
	if h == nil {
		return nil
	}
	h.once.Do(func() { close(h.reached) })
	select {
	case <-h.free:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *probe) releaseAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, h := range p.holds {
		h.release()
	}
}

func (p *probe) setOnPipeline(f func()) {
	p.mu.Lock()
	p.onPipe = f
	p.mu.Unlock()
}

func (p *probe) setOnSend(f func()) {
	p.mu.Lock()
	p.onSend = f
	p.mu.Unlock()
}

func (p *probe) reset() {
	p.mu.Lock()
	p.sole, p.pipes = nil, nil
	p.mu.Unlock()
}

func (p *probe) alone() []sent {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]sent(nil), p.sole...)
}

func (p *probe) pipelines() [][]sent {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([][]sent(nil), p.pipes...)
}

// count says how many times a call with marker was sent, alone or in a pipeline.
func (p *probe) count(marker string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, s := range p.sole {
		if s.marker == marker {
			n++
		}
	}
	for _, pipe := range p.pipes {
		for _, s := range pipe {
			if s.marker == marker {
				n++
			}
		}
	}
	return n
}

func scriptCall(cmd goredis.Cmder) (sent, bool) {
	switch name := cmd.Name(); name {
	case "eval", "evalsha", "eval_ro", "evalsha_ro":
		args := cmd.Args()
		m, _ := args[len(args)-1].(string)
		return sent{name, m}, true
	}
	return sent{}, false
}

func (p *probe) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (p *probe) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		s, ok := scriptCall(cmd)
		if !ok {
			return next(ctx, cmd)
		}
		p.mu.Lock()
		p.sole = append(p.sole, s)
		h, onSend := p.holds[s.marker], p.onSend
		p.mu.Unlock()
		if onSend != nil {
			onSend()
		}
		if err := h.wait(ctx); err != nil {
			cmd.SetErr(err)
			return err
		}
		return next(ctx, cmd)
	}
}

func (p *probe) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		var batch []sent
		var holds []*hold
		p.mu.Lock()
		for _, cmd := range cmds {
			if s, ok := scriptCall(cmd); ok {
				batch = append(batch, s)
				if h := p.holds[s.marker]; h != nil {
					holds = append(holds, h)
				}
			}
		}
		if batch != nil {
			p.pipes = append(p.pipes, batch)
		}
		onPipe, onSend := p.onPipe, p.onSend
		p.mu.Unlock()
		if onSend != nil && batch != nil {
			onSend()
		}
		for _, h := range holds {
			if err := h.wait(ctx); err != nil {
				for _, cmd := range cmds {
					cmd.SetErr(err)
				}
				return err
			}
		}
		if onPipe != nil && batch != nil {
			onPipe()
		}
		return next(ctx, cmds)
	}
}
