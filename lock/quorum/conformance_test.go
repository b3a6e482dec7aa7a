package quorum_test

import (
	"context"
	"testing"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redistest"
	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/locktest"
)

func TestConformanceThreeServers(t *testing.T) {
	ss := startServers(t, 3)
	locktest.Run(t, func(t *testing.T) lock.Backend {
		return newBackend(t, clients(t, addrs(ss)))
	})
}

func TestConformanceFiveServersThroughOpen(t *testing.T) {
	if testing.Short() {
		t.Skip("starts five servers")
	}
	ss := startServers(t, 5)
	url := "redis+quorum://"
	for i, a := range addrs(ss) {
		if i > 0 {
			url += ","
		}
		url += a
	}
	url += "/0?prefix=five:&max_retries=-1"
	locktest.Run(t, func(t *testing.T) lock.Backend {
		b, err := lock.Open(context.Background(), url)
		require.NoError(t, err)
		return b
	})
}

func TestConformanceThreeMiniredis(t *testing.T) {
	var as []string
	for i := 0; i < 3; i++ {
		as = append(as, redistest.StartMini(t).Addr())
	}
	locktest.Run(t, func(t *testing.T) lock.Backend {
		cs := make([]goredis.UniversalClient, 0, 3)
		cs = append(cs, clients(t, as)...)
		return newBackend(t, cs)
	})
}
