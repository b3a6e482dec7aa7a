// Package redisbatch (lock/redis/PROTOCOL.md, "Pipelining") runs the Lua scripts that
// many goroutines send at once in shared pipelines, so that the Redis server reads and
// answers them in one go instead of one network round trip, one read and one write each.
//
// A call goes to the server at once when fewer than a few are in flight, so a lone
// goroutine pays nothing. Calls made while that many are in flight queue up, and the next
// flush sends them together. A call whose context ends while it is queued leaves the queue
// and is never sent; one that ends while its pipeline is in flight returns at once with the
// context's error, and its reply, when it comes, is dropped. Settle waits for such a
// pipeline, so that a command meant to undo the dropped call reaches the server after it.
// Close answers the calls still waiting with ErrClosed.
package redisbatch

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// DefaultInFlight is how many calls or pipelines a Batcher lets run at once.
const DefaultInFlight = 8

// Batcher is a goredis.Scripter whose EVALSHA calls share pipelines. Other script commands
// (EVAL, SCRIPT LOAD, ...) go straight to the client.
type Batcher struct {
	client   goredis.UniversalClient
	inFlight int
	ctx      context.Context // ends on Close: answers the calls still waiting, stops flushes
	cancel   context.CancelFunc

	mu     sync.Mutex
	busy   int                        // calls and pipelines in flight
	queue  []*call                    // calls waiting for a flush
	spare  []*call                    // an emptied queue, to be reused
	flying map[chan struct{}]struct{} // pipelines in flight, by their first call's done
	wg     sync.WaitGroup
	closed bool
}

type call struct {
	ctx  context.Context
	cmd  *goredis.Cmd
	done chan struct{} // closed when cmd has its reply
	sent bool          // taken from the queue for a flush; guarded by Batcher.mu
}

var _ goredis.Scripter = (*Batcher)(nil)

// New returns a Batcher that sends its calls through client, with at most inFlight calls
// or pipelines at once (DefaultInFlight when inFlight < 1). The client must stay open
// until Close returns.
//
// The calls of a ClusterClient are never batched: a pipeline that spans nodes is as slow as
// its slowest node, so one dead master would hold up the calls (and the lease renewals) of
// the locks on the live ones.
func New(client goredis.UniversalClient, inFlight int) *Batcher {
	if inFlight < 1 {
		inFlight = DefaultInFlight
	}
	if _, ok := client.(*goredis.ClusterClient); ok {
		inFlight = math.MaxInt
	}
	b := &Batcher{client: client, inFlight: inFlight, flying: make(map[chan struct{}]struct{})}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	return b
}

// ErrClosed answers the calls that were waiting for a pipeline when Close was called.
var ErrClosed = errors.New("redisbatch: closed")

// Close answers the calls waiting for a pipeline with ErrClosed, at once, and returns when
// the Batcher's goroutines are gone. A pipeline stalled on the network ends, and Close
// returns, at the client's ReadTimeout or when the client is closed: go-redis ends a read
// at its context's deadline, not at its cancellation. Calls made after Close go straight
// to the client.
func (b *Batcher) Close() {
	b.mu.Lock()
	b.closed = true
	queued := b.take()
	b.mu.Unlock()
	b.fail(queued)
	b.cancel()
	b.wg.Wait()
}

// Settle returns when every pipeline in flight when it was called has been answered or
// has failed, or with ctx's error when ctx ends first. A caller whose call returned early
// (its context ended while the call's pipeline was in flight) calls Settle before a
// command that must reach the server after that call: an undo. Calls that went straight
// to the client need no waiting: they return only when go-redis is done with them.
func (b *Batcher) Settle(ctx context.Context) error {
	b.mu.Lock()
	pending := make([]chan struct{}, 0, len(b.flying))
	for done := range b.flying {
		pending = append(pending, done)
	}
	b.mu.Unlock()
	for _, done := range pending {
		select {
		case <-done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// EvalSha runs EVALSHA, alone or in a pipeline with other goroutines' calls.
func (b *Batcher) EvalSha(ctx context.Context, sha1 string, keys []string, args ...interface{}) *goredis.Cmd {
	return b.do(ctx, evalArgs("evalsha", sha1, keys, args), len(keys) > 0)
}

// EvalShaRO runs EVALSHA_RO, alone or in a pipeline with other goroutines' calls.
func (b *Batcher) EvalShaRO(ctx context.Context, sha1 string, keys []string, args ...interface{}) *goredis.Cmd {
	return b.do(ctx, evalArgs("evalsha_ro", sha1, keys, args), len(keys) > 0)
}

// Eval runs EVAL on the client: it is the rare fallback after NOSCRIPT.
func (b *Batcher) Eval(ctx context.Context, script string, keys []string, args ...interface{}) *goredis.Cmd {
	return b.client.Eval(ctx, script, keys, args...)
}

// EvalRO runs EVAL_RO on the client.
func (b *Batcher) EvalRO(ctx context.Context, script string, keys []string, args ...interface{}) *goredis.Cmd {
	return b.client.EvalRO(ctx, script, keys, args...)
}

// ScriptExists runs SCRIPT EXISTS on the client.
func (b *Batcher) ScriptExists(ctx context.Context, hashes ...string) *goredis.BoolSliceCmd {
	return b.client.ScriptExists(ctx, hashes...)
}

// ScriptLoad runs SCRIPT LOAD on the client.
func (b *Batcher) ScriptLoad(ctx context.Context, script string) *goredis.StringCmd {
	return b.client.ScriptLoad(ctx, script)
}

func evalArgs(name, sha1 string, keys []string, args []interface{}) []interface{} {
	a := make([]interface{}, 0, 3+len(keys)+len(args))
	a = append(a, name, sha1, len(keys))
	for _, k := range keys {
		a = append(a, k)
	}
	return append(a, args...)
}

func (b *Batcher) do(ctx context.Context, args []interface{}, keyed bool) *goredis.Cmd {
	cmd := goredis.NewCmd(ctx, args...)
	if keyed {
		cmd.SetFirstKeyPos(3) // a cluster client routes the call by its first key
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		_ = b.client.Process(ctx, cmd)
		return cmd
	}
	if b.busy < b.inFlight && len(b.queue) == 0 {
		b.busy++
		b.mu.Unlock()
		_ = b.client.Process(ctx, cmd)
		b.finish()
		return cmd
	}
	c := &call{ctx: ctx, cmd: cmd, done: make(chan struct{})}
	b.queue = append(b.queue, c)
	b.mu.Unlock()

	var quit error
	select {
	case <-c.done:
		return b.answer(ctx, cmd)
	case <-ctx.Done():
		quit = ctx.Err()
	case <-b.ctx.Done():
		quit = ErrClosed
	}
	b.mu.Lock()
	sent := c.sent
	if !sent {
		b.queue = slices.DeleteFunc(b.queue, func(x *call) bool { return x == c })
	}
	b.mu.Unlock()
	if sent {
		select {
		case <-c.done: // the reply came in the meantime
			return b.answer(ctx, cmd)
		default:
		}
		// The pipeline owns cmd until it is done: answer with another.
		cmd = goredis.NewCmd(ctx, args...)
	}
	cmd.SetErr(quit)
	return cmd
}

// answer returns the reply of a call that went in a pipeline. The pipeline ran until the
// latest deadline of its calls; if it failed once this call's own had passed, the answer
// is what a direct call would have got: the context's error, once the context says so too
// (its timer may lag the deadline a little). A pipeline that Close cut short answers
// ErrClosed.
func (b *Batcher) answer(ctx context.Context, cmd *goredis.Cmd) *goredis.Cmd {
	err := cmd.Err()
	if err == nil {
		return cmd
	}
	if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		<-ctx.Done()
	}
	switch {
	case ctx.Err() != nil:
		cmd.SetErr(ctx.Err())
	case b.ctx.Err() != nil && errors.Is(err, context.Canceled):
		cmd.SetErr(ErrClosed)
	}
	return cmd
}
