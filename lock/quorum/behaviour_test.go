package quorum_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/quorum"
)

// TestWaiterWokenAcrossBackends: a waiter in another backend is woken by the release's
// message, not by the holder's 30s lease running out.
func TestWaiterWokenAcrossBackends(t *testing.T) {
	ss := startServers(t, 3)
	a, b := newBackend(t, clients(t, addrs(ss))), newBackend(t, clients(t, addrs(ss)))
	ctx := testCtx(t)
	h := newLock(t, a, "x")
	require.NoError(t, h.Acquire(ctx))
	got := make(chan error, 1)
	go func() { got <- newLock(t, b, "x", lock.WithBlocking(eventually)).Acquire(ctx) }()
	time.Sleep(100 * time.Millisecond)
	require.NoError(t, h.Release(ctx))
	select {
	case err := <-got:
		require.NoError(t, err)
	case <-time.After(eventually):
		t.Fatal("the waiter was not woken by the release")
	}
}

func TestNewInvalid(t *testing.T) {
	_, err := quorum.New(nil)
	assert.ErrorIs(t, err, lock.ErrInvalid)
	cs := clients(t, []string{"127.0.0.1:1"})
	for _, o := range []quorum.Option{nil, quorum.WithLease(0), quorum.WithRenewFraction(0.9),
		quorum.WithNodeTimeout(0), quorum.WithDriftMargin(time.Hour)} {
		_, err := quorum.New(cs, o)
		assert.ErrorIs(t, err, lock.ErrInvalid)
	}
}
