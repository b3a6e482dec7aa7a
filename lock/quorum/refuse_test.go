package quorum_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redistest"
	"github.com/batonlock/baton/lock"
)

// TestRefusesPermitsAndShared: a quorum refuses WithPermits(n > 1) at NewLock, saying why
// (majorities cannot bound n holders), and WithShared, saying it keeps no holder sets;
// before, it took such holds one at a time, as exclusive ones, against their contract.
// WithPermits(1) is a plain lock.
func TestRefusesPermitsAndShared(t *testing.T) {
	var as []string
	for range 3 {
		as = append(as, redistest.StartMini(t).Addr())
	}
	b := newBackend(t, clients(t, as))
	_, err := b.NewLock("sem", lock.WithPermits(2))
	assert.ErrorIs(t, err, lock.ErrInvalid)
	assert.ErrorContains(t, err, "WithPermits(2) on a quorum: majorities cannot bound n holders")
	assert.ErrorContains(t, err, "{1,2}, {2,3} and {1,3}")
	_, err = b.NewLock("rw", lock.WithShared())
	assert.ErrorIs(t, err, lock.ErrInvalid)
	assert.ErrorContains(t, err, "WithShared on a quorum")

	l, err := b.NewLock("one", lock.WithPermits(1))
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, l.Acquire(ctx))
	require.NoError(t, l.Release(ctx))

	// Through a URL, too.
	u, err := lock.Open(ctx, "redis+quorum://"+as[0]+","+as[1]+","+as[2])
	require.NoError(t, err)
	defer u.Close()
	_, err = u.NewLock("sem", lock.WithPermits(3))
	assert.ErrorIs(t, err, lock.ErrInvalid)
}
