package redis

import (
	"context"
	"time"

	"github.com/batonlock/baton/internal/redisscript"
)

// nodes is where the locks of a backend live (PROTOCOL.md, "Nodes"): one node (a server, a
// Sentinel-watched master or a Cluster: oneNode), or N independent masters of which a
// majority must agree (Quorum). It is all that differs between the two: the Acquire loop
// (acquire.go), the holds, the wait queue and the subscribers are the same.
type nodes interface {
	// single reports whether the lock key lives on one server, where one script sees all
	// of it: a retried try keeps its token (and finds the key its own), waiters queue on
	// the server and are granted the key, and a hold is passed within the process. On N
	// nodes none of this holds, and every try has a fresh token: the nodes a failed try
	// took are freed in the background, by token, and must not free a later try's hold.
	single() bool
	// try runs one try of token for ttl (wait: how it queues on the server; nil on N
	// nodes). Its error is one the nodes could not answer with (and on N nodes only ctx's
	// end, or lock.ErrClosed); what they said is in tried.
	try(ctx context.Context, l *Lock, token string, ttl time.Duration, wait *redisscript.Wait) (tried, error)
	// release frees h's key; granted: it went to a waiter queued on the server.
	release(ctx context.Context, l *Lock, h *hold) (ok, granted bool, err error)
	extend(ctx context.Context, l *Lock, token string, ttl time.Duration) (bool, error)
	exists(ctx context.Context, l *Lock) (bool, error)
	// free frees h's key for Close (closeHolds), once the backend takes no more work.
	free(ctx context.Context, l *Lock, h *hold) error
	// undo frees, in the background, what an attempt that failed after tries it was unsure
	// of may have taken or queued.
	undo(l *Lock, token string)
}

// tried is what the nodes said to one try.
type tried struct {
	took  bool
	fence uint64   // took: the hold's fence
	clock uint64   // took, on one node: server µs as the script ran (0: unknown)
	nodes *nodeSet // took, on N nodes: what the hold knows of them

	held   bool          // one other owner holds the key (on a majority of the nodes)
	pttl   time.Duration // held: the TTL its key has left (-1: none)
	busy   bool          // some node said another owner holds the key
	split  bool          // N nodes: owners took some nodes each, and none a majority
	theirs int           // the name is held WithPermits(theirs)
	err    error         // N nodes: why they could not decide (the node errors)
}

// oneNode is the node of a Backend: a server, a Sentinel-watched master or a Cluster, whose
// scripts run on the lock key's server, batched (PROTOCOL.md, "Pipelining").
type oneNode struct{}

func (oneNode) single() bool { return true }

func (oneNode) try(ctx context.Context, l *Lock, token string, ttl time.Duration, wait *redisscript.Wait) (tried, error) {
	floor := l.Fence()
	var r redisscript.Try
	var err error
	if wait == nil {
		r, err = redisscript.TryAcquire(ctx, l.b.scripts, l.key, l.fenceKey, token, ttl, floor)
	} else {
		r, err = redisscript.AcquireOrWait(ctx, l.b.scripts, l.key, l.fenceKey, l.queue, token, ttl, floor, *wait)
	}
	held := !r.OK && r.Theirs == 0
	return tried{took: r.OK, fence: r.Fence, clock: r.Clock, held: held, busy: held, pttl: r.PTTL, theirs: r.Theirs}, err
}

func (oneNode) release(ctx context.Context, l *Lock, h *hold) (ok, granted bool, err error) {
	res, err := l.runRelease(ctx, h.token, h.fence, false)
	return res != redisscript.NotHeld, res == redisscript.Granted, err
}

func (oneNode) extend(ctx context.Context, l *Lock, token string, ttl time.Duration) (bool, error) {
	return redisscript.Extend(ctx, l.b.scripts, l.key, token, ttl)
}

func (oneNode) exists(ctx context.Context, l *Lock) (bool, error) {
	n, err := l.b.client.Exists(ctx, l.key, redisscript.HoldersOf(l.key).Set).Result()
	return n > 0, err
}

// free grants h's key on the server to a waiter of another process if one is queued: the
// waiters of this backend have left the queues by then.
func (oneNode) free(ctx context.Context, l *Lock, h *hold) error {
	_, err := l.runRelease(ctx, h.token, h.fence, false)
	return err
}

// undoWait bounds each step of an undo: the wait for the try's pipeline, and the release.
const undoWait = time.Second

// undo frees the lock, in the background, after a try whose reply was lost, in case it
// took the lock, and takes token out of the server's queue, in case it was granted the lock
// or would be. A try given up on while its pipeline was in flight may not have reached the
// server yet: undo waits for that pipeline first (for at most undoWait), or it could run
// before the try and leave the key taken for a lease; a pipeline that lands later still is
// waited for, until Close, and undone once more. While the undo is at work its token is in
// Close's record (startUndo): a Close that cuts it short withdraws the token itself.
func (oneNode) undo(l *Lock, token string) {
	b := l.b
	if !b.startUndo(l, token) {
		return
	}
	go func() {
		defer b.endUndo(token)
		settle, cancel := context.WithTimeout(b.ctx, undoWait)
		late := b.scripts.Settle(settle) != nil // past undoWait, free what can be freed now
		cancel()
		l.withdrawFor(token)
		if late && b.scripts.Settle(b.ctx) == nil {
			l.withdrawFor(token) // the try's pipeline landed after the first withdrawal
		}
	}()
}

// withdrawFor takes token out of l's queue and frees what it holds (withdrawToken), for at
// most undoWait.
func (l *Lock) withdrawFor(token string) {
	ctx, cancel := context.WithTimeout(l.b.ctx, undoWait)
	defer cancel()
	_ = l.withdrawToken(ctx, token)
}
