package quorum_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
)

// TestReleaseWithoutMajorityLosesHold: a Release that cannot reach a majority of the nodes
// (two of three are dead) ends the hold as lost, rather than silently: Lost closes and the
// error says the hold is lost (what the dead nodes keep expires with the lease).
func TestReleaseWithoutMajorityLosesHold(t *testing.T) {
	ss := startServers(t, 3)
	cs := clients(t, addrs(ss))
	ctx := testCtx(t)
	l := newLock(t, newBackend(t, cs), "dead")
	require.NoError(t, l.Acquire(ctx))
	lost := l.Lost()
	ss[1].Kill()
	ss[2].Kill()

	err := l.Release(ctx)
	require.Error(t, err)
	assert.ErrorIs(t, err, lock.ErrLost, "says the hold is lost")
	select {
	case <-lost:
	case <-time.After(eventually):
		t.Fatal("Lost did not close after a Release that reached no majority")
	}
	assert.ErrorIs(t, l.Release(ctx), lock.ErrNotHeld, "nothing is left to release")
}
