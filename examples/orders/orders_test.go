package orders_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/batonlock/baton/examples/orders"
	"github.com/batonlock/baton/lock"
	_ "github.com/batonlock/baton/lock/local"
	_ "github.com/batonlock/baton/lock/redis"
	"github.com/batonlock/baton/lock/redis/redistest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestSwapIsConfigurationOnly runs the same service and the same assertions on the in-memory
// backend and on Redis (miniredis), changing nothing but BATON_LOCK_URL.
func TestSwapIsConfigurationOnly(t *testing.T) {
	_, miniURL := redistest.StartMiniredis(t)
	for _, url := range []string{"local://", miniURL + "?prefix=orders:"} {
		t.Run(url, func(t *testing.T) {
			t.Setenv(lock.DefaultEnv, url)
			b, err := lock.OpenEnv(context.Background(), "")
			require.NoError(t, err)
			defer b.Close()

			// Two instances of the handler, as two replicas would run it. (On Redis each
			// replica would open its own backend; in memory, a process is the whole world.)
			store := orders.NewStore()
			var charges atomic.Int64
			var replicas []*httptest.Server
			for i := 0; i < 2; i++ {
				s := orders.NewServer(b, store)
				charge := s.Charge
				s.Charge = func(ctx context.Context, id string) error { charges.Add(1); return charge(ctx, id) }
				srv := httptest.NewServer(s)
				defer srv.Close()
				replicas = append(replicas, srv)
			}

			codes := make(chan int, 20)
			var wg sync.WaitGroup
			for i := 0; i < 20; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					resp, err := http.Post(replicas[i%2].URL+"/orders/42/pay", "", nil)
					if !assert.NoError(t, err) {
						return
					}
					resp.Body.Close()
					codes <- resp.StatusCode
				}()
			}
			wg.Wait()
			close(codes)
			count := map[int]int{}
			for c := range codes {
				count[c]++
			}
			assert.Equal(t, map[int]int{http.StatusOK: 1, http.StatusConflict: 19}, count)
			assert.EqualValues(t, 1, charges.Load(), "the order was charged once")
			assert.True(t, store.Paid("42"))

			resp, err := http.Post(replicas[0].URL+"/orders/bad%7Bid/pay", "", nil)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "a bad name is the client's error")
		})
	}
}

func TestStoreRefusesStaleFence(t *testing.T) {
	s := orders.NewStore()
	require.NoError(t, s.MarkPaid("1", 5))
	assert.Error(t, s.MarkPaid("1", 4))

	paid, err := s.PaidAt("2", 7) // a holder with fence 7 reads order 2
	require.NoError(t, err)
	assert.False(t, paid)
	assert.Error(t, s.MarkPaid("2", 6), "an older holder writes after a newer one read")
	_, err = s.PaidAt("2", 6)
	assert.Error(t, err, "an older holder reads after a newer one")
	require.NoError(t, s.MarkPaid("2", 7), "the reader writes")
}

// TestUnconfiguredServiceRefusesToStart: a replica started without BATON_LOCK_URL must not
// fall back to locking in memory, where it would exclude only itself and pay orders twice.
func TestUnconfiguredServiceRefusesToStart(t *testing.T) {
	for _, value := range []string{"unset", ""} {
		t.Setenv(lock.DefaultEnv, value)
		if value == "unset" {
			require.NoError(t, os.Unsetenv(lock.DefaultEnv))
		}
		b, err := lock.OpenEnv(context.Background(), "")
		require.ErrorIs(t, err, lock.ErrInvalid, "BATON_LOCK_URL %q", value)
		assert.Nil(t, b)
		assert.ErrorContains(t, err, lock.DefaultEnv)
	}
}
