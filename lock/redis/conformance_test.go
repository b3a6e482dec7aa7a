package redis_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redistest"
	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/locktest"
)

// TestConformanceMiniredis runs the suite with every backend on one miniredis, as the suite
// needs for the tests that look at one backend's locks from another.
func TestConformanceMiniredis(t *testing.T) {
	m := redistest.StartMini(t)
	locktest.Run(t, func(t *testing.T) lock.Backend {
		return newBackend(t, newClient(t, m.Addr()))
	})
}

func TestConformanceRedisServerThroughOpen(t *testing.T) {
	s := startServer(t)
	locktest.Run(t, func(t *testing.T) lock.Backend {
		b, err := lock.Open(context.Background(), s.URL()+"?prefix=open:")
		require.NoError(t, err)
		return b
	})
}

func TestConformanceRedisServer(t *testing.T) {
	s := startServer(t)
	locktest.Run(t, func(t *testing.T) lock.Backend {
		return newBackend(t, newClient(t, s.Addr()))
	})
}
