package redis_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/locktest"
)

func TestConformanceMiniredis(t *testing.T) {
	locktest.Run(t, func(t *testing.T) lock.Backend {
		b, _, _ := newMiniBackend(t)
		return b
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
