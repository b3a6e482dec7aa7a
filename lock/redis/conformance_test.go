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

// TestPrimitivesMiniredis runs permits, shared holds, Inspect and why a hold is gone, with
// fights over backends on one miniredis (processes on one server).
func TestPrimitivesMiniredis(t *testing.T) {
	m := redistest.StartMini(t)
	locktest.RunPrimitives(t, locktest.Harness{
		Open: func(t *testing.T) lock.Backend { return newBackend(t, newClient(t, m.Addr())) },
		Peers: func(t *testing.T, _ lock.Backend, n int) []lock.Backend {
			var bs []lock.Backend
			for range n {
				bs = append(bs, newBackend(t, newClient(t, m.Addr())))
			}
			return bs
		},
	})
}

// TestPrimitivesRedisServer runs the primitives on a redis-server, with backends on it as
// peers.
func TestPrimitivesRedisServer(t *testing.T) {
	s := startServer(t)
	locktest.RunPrimitives(t, locktest.Harness{
		Open: func(t *testing.T) lock.Backend { return newBackend(t, newClient(t, s.Addr())) },
		Peers: func(t *testing.T, _ lock.Backend, n int) []lock.Backend {
			var bs []lock.Backend
			for range n {
				bs = append(bs, newBackend(t, newClient(t, s.Addr())))
			}
			return bs
		},
	})
}
