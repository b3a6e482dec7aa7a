package quorum_test

import (
	"context"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redistest"
	"github.com/batonlock/baton/internal/vocab"
	"github.com/batonlock/baton/lock"
)

// TestLostSaysWhy: on a quorum too, Release and Extend of a lost hold are both
// lock.ErrNotHeld and lock.ErrLost and say why: its timeout ended, its key was deleted on
// a majority, or the backend closed (issue 16).
func TestLostSaysWhy(t *testing.T) {
	miniClients := func(t *testing.T) []goredis.UniversalClient {
		var as []string
		for range 3 {
			as = append(as, redistest.StartMini(t).Addr())
		}
		return clients(t, as)
	}
	t.Run("timeout ended", func(t *testing.T) {
		l := newLock(t, newBackend(t, miniClients(t)), "why:timeout", lock.WithTimeout(100*time.Millisecond))
		require.NoError(t, l.Acquire(testCtx(t)))
		waitLost(t, l)
		for op, err := range map[string]error{"release": l.Release(testCtx(t)), "extend": l.Extend(testCtx(t), time.Second)} {
			assertLost(t, err, op)
			assert.ErrorContains(t, err, "the timeout of 100ms ended", op)
		}
	})
	t.Run("key deleted", func(t *testing.T) {
		cs := miniClients(t)
		l := newLock(t, newBackend(t, cs), "why:deleted")
		require.NoError(t, l.Acquire(testCtx(t)))
		for _, c := range cs {
			require.NoError(t, c.Del(context.Background(), "baton:{why:deleted}").Err())
		}
		err := l.Extend(testCtx(t), time.Second)
		assertLost(t, err, "extend")
		assert.ErrorIs(t, err, vocab.ErrTaken)
	})
	t.Run("backend closed", func(t *testing.T) {
		b := newBackend(t, miniClients(t))
		l := newLock(t, b, "why:closed")
		require.NoError(t, l.Acquire(testCtx(t)))
		require.NoError(t, b.Close())
		err := l.Release(testCtx(t))
		assertLost(t, err, "release")
		assert.ErrorIs(t, err, lock.ErrClosed)
	})
}

func waitLost(t *testing.T, l lock.Locker) {
	t.Helper()
	select {
	case <-l.Lost():
	case <-time.After(eventually):
		t.Fatalf("the timed hold's Lost not closed after %v", eventually)
	}
}

func assertLost(t *testing.T, err error, op string) {
	t.Helper()
	assert.ErrorIs(t, err, lock.ErrNotHeld, op)
	assert.ErrorIs(t, err, lock.ErrLost, op)
}
