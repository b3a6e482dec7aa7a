package quorum_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/quorum"
)

// TestNothingLeftBehind: once no lock is held or waited for, the backend keeps no per-name
// state, however many names it has served.
func TestNothingLeftBehind(t *testing.T) {
	ss := startServers(t, 3)
	b := newBackend(t, clients(t, addrs(ss)))
	ctx := testCtx(t)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		name := fmt.Sprintf("n%d", i%5)
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := newLock(t, b, name)
			for j := 0; j < 5; j++ {
				if assert.NoError(t, l.Acquire(ctx)) {
					assert.NoError(t, l.Release(ctx))
				}
			}
		}()
	}
	wg.Wait()
	require.Eventually(t, func() bool {
		q, h, c := b.State()
		return q == 0 && h == 0 && c == 0
	}, eventually, 10*time.Millisecond, "per-name state left behind")
}

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
