package redis_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCloseAsQueuedWaiterGivesUp: a waiter queued on the server gives up (its ctx ends)
// and its backend closes at the moment the attempt lets go of its token. Whichever comes
// first, the token leaves the server's queue: the undo was started before the token left
// Close's record, so Close withdraws it or finds the undo at work. In the other order Close
// found no token to withdraw and the undo was refused by the closed backend, and the next
// Release granted the lock to the gone waiter, which nobody then held for the grant TTL.
func TestCloseAsQueuedWaiterGivesUp(t *testing.T) {
	servers(t, func(t *testing.T, addr string) {
		ctx := testCtx(t)
		waitCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		x := queuedAcross(t, ctx, waitCtx, addr, "drop")
		var once sync.Once
		x.wb.OnDropping(func(string) {
			once.Do(func() { require.NoError(t, x.wb.Close()) })
		})
		parked(t, x.wb, "drop")
		cancel()
		require.ErrorIs(t, <-x.got, context.Canceled)
		x.requireNotGranted(t, ctx)
	})
}
