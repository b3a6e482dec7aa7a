package locktest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
)

// releaseDoneCtx: `defer l.Release(reqCtx)` after the request's ctx ended still frees the
// lock (under a deadline of its own), for a hold with a timeout and for one without: another
// handle's NoWait Acquire takes it right after, and the released hold is not lost.
func (s *suite) releaseDoneCtx(t *testing.T) {
	b := s.backend(t)
	for what, opts := range map[string][]lock.Option{
		"no timeout": nil,
		"timeout":    {lock.WithTimeout(time.Minute)},
	} {
		n := name(t)
		l := newLock(t, b, n, opts...)
		for c, why := range doneContexts(t) {
			require.NoError(t, l.Acquire(ctx(t)), "%s", what)
			lost := l.Lost()
			require.NoError(t, l.Release(c), "%s: Release with a ctx that %s", what, why)
			assert.False(t, isClosed(lost), "%s: a released hold is not lost", what)
			assert.ErrorIs(t, l.Release(ctx(t)), lock.ErrNotHeld, "%s: a second Release", what)
			next := acquired(t, b, n, lock.WithBlocking(lock.NoWait))
			assert.Greater(t, next.Fence(), l.Fence(), "%s", what)
			require.NoError(t, next.Release(ctx(t)))
		}
	}
}

// doneContexts returns contexts that have ended, each with what ended it.
func doneContexts(t *testing.T) map[context.Context]string {
	cancelled, cancel := context.WithCancel(ctx(t))
	cancel()
	expired, cancel := context.WithDeadline(ctx(t), time.Now().Add(-time.Second))
	t.Cleanup(cancel)
	return map[context.Context]string{cancelled: "was cancelled", expired: "is past its deadline"}
}
