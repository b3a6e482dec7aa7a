package orders_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/examples/orders"
	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/redis/redistest"
)

// TestStaleHolderWriteIsRefused: the README says the fence "is what stops a paused,
// partitioned or failed-over holder from writing after it lost the lock (examples/orders
// does this)".
//
// Replica A loses its hold while it is in Charge (the server's clock leaps, as on a failover
// that loses the key: A is not told yet). Replica B takes the lock, with a newer fence, and
// finds the order unpaid. A then writes with its older fence: the store must refuse it. It
// accepted it when it compared a fence only with the last write, and B's read told it
// nothing: the order was paid twice, by two holders of which one had lost the lock before
// it wrote. Reads now carry the fence too (Store.PaidAt).
func TestStaleHolderWriteIsRefused(t *testing.T) {
	m, url := redistest.StartMiniredis(t)
	ctx := context.Background()
	ba, err := lock.Open(ctx, url) // replica A's backend
	require.NoError(t, err)
	defer ba.Close()
	bb, err := lock.Open(ctx, url) // replica B's backend, as another process
	require.NoError(t, err)
	defer bb.Close()

	store := orders.NewStore()
	a, b := orders.NewServer(ba, store), orders.NewServer(bb, store)
	srvA, srvB := httptest.NewServer(a), httptest.NewServer(b)
	defer srvA.Close()
	defer srvB.Close()

	post := func(srv *httptest.Server) int {
		resp, err := http.Post(srv.URL+"/orders/42/pay", "", nil)
		if err != nil {
			return -1
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	bInCharge, releaseB := make(chan struct{}), make(chan struct{})
	codeB := make(chan int, 1)
	b.Charge = func(ctx context.Context, _ string) error {
		close(bInCharge) // B holds the lock and found the order unpaid
		<-releaseB
		return nil
	}
	a.Charge = func(ctx context.Context, _ string) error {
		m.FastForward(time.Minute) // A's key expires on the server; A is not told yet
		go func() { codeB <- post(srvB) }()
		select {
		case <-bInCharge:
		case <-time.After(5 * time.Second):
			t.Error("B did not take the expired lock")
		}
		return nil // the provider call had completed
	}

	codeA := post(srvA)
	paidByStaleHolder := store.Paid("42") // B holds the lock and has not written yet
	close(releaseB)
	got := <-codeB

	t.Logf("A (lost its hold before writing): %d; B (the holder): %d", codeA, got)
	assert.False(t, paidByStaleHolder,
		"the store accepted the write of replica A, which had lost the lock to B (a newer fence) before it wrote")
}
