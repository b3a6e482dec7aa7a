package redis

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/batonlock/baton/internal/vocab"
	"github.com/batonlock/baton/lock"
)

// releaseWait bounds the server call of a Release whose ctx had already ended, and the
// releases Close makes: long enough for a round trip on a loaded link, short enough that a
// shutdown or a request's cleanup is not held up by a server that does not answer.
const releaseWait = time.Second

// ReleaseContext returns the ctx a Release runs its server call under: ctx itself while it
// is live; once it has ended, one detached from it (its values kept) that ends after
// releaseWait. `defer l.Release(reqCtx)` after the request timed out must still free the
// key: otherwise nothing can, and it stays locked for a whole lease or timeout (lock.Do
// detaches its Release the same way).
func releaseContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if ctx.Err() == nil {
		return ctx, func() {}
	}
	return context.WithTimeout(context.WithoutCancel(ctx), releaseWait)
}

// releaseCause says why a Release that ended with ok and err lost h instead of releasing it
// (nil: it was released): the hold had expired, the key was not its own, or the server
// could not be reached, and then no one knows whether the key was freed. Such a hold is no
// longer renewed, so its key expires within the lease or timeout. of.mu is held.
func (l *Lock) releaseCause(h *hold, expired, ok bool, err error) error {
	switch {
	case expired:
		return h.expiredCause()
	case err != nil:
		return fmt.Errorf("release failed: %w", err)
	case !ok:
		return vocab.ErrTaken
	}
	return nil
}

// releaseError is what Release returns when the server could not be reached: the server's
// error, and lock.ErrLost, since the hold ended (its Lost channel is closed) unreleased.
func (l *Lock) releaseError(h *hold, err error) error {
	return l.errorf("release", fmt.Errorf("%w (%w: its key expires on its own within %v)", err, lock.ErrLost, h.ttl))
}

// closeHolds ends the holds that Close finds: each still active one is marked lost first
// (its Lost closes and Do's ctx is cancelled before anyone else can hold the name), then
// freed on the server (free), all at once and for at most releaseWait in all. Without
// the second step every rolling deploy would leave the other replicas waiting up to a
// lease for names nobody holds. etcd's Session.Close does the same: it cancels the
// session, which closes Done, and then revokes the lease. A hold the server could not be
// told of expires on its own.
func closeHolds(holds []*hold) {
	var freeing []*hold
	for _, h := range holds {
		if h.of.lose(h, lock.ErrClosed, false) {
			freeing = append(freeing, h)
		}
	}
	if len(freeing) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), releaseWait)
	defer cancel()
	var wg sync.WaitGroup
	for _, h := range freeing {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := h.of.free(ctx, h); err != nil {
				h.of.backendError("close", err)
			}
		}()
	}
	wg.Wait()
}
