package scenario_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/bench/scenario"
	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/driver"
	"github.com/batonlock/baton/lock/local"
)

// TestPermits: the permits scenario runs its sections on local:// and on the semaphore
// baseline with no more than PermitCount inside at once.
func TestPermits(t *testing.T) {
	lb := local.New(driver.DefaultOptions())
	defer lb.Close()
	withPermits := scenario.Backend("local", lb)
	withPermits.Permits = scenario.BackendPermits(lb)
	for _, tg := range []scenario.Target{withPermits, scenario.Semaphore()} {
		// Enough sections (~70 ms of them) that a worker goroutine started late under -race
		// on a busy machine still finds some left: min/max is then above 0.
		s, err := scenario.Permits(context.Background(), tg, scenario.Params{Ops: 1000, Section: 200 * time.Microsecond})
		require.NoError(t, err, tg.Name)
		assert.Equal(t, 1000, s.Ops, tg.Name)
		assert.Zero(t, s.Overlaps, tg.Name)
		assert.Positive(t, s.MinMax, tg.Name)
	}
	_, err := scenario.Permits(context.Background(), scenario.Backend("local", lb), scenario.Params{Ops: 1})
	assert.ErrorIs(t, err, scenario.ErrNoPermits, "a target without Permits")
	_, err = scenario.PermitsFleet(context.Background(), withPermits, scenario.Params{Ops: 1})
	assert.ErrorIs(t, err, scenario.ErrNoFleet, "local:// has no fleet")
}

// TestSupportsPermits: the probe says yes for local://, and no for a backend that refuses
// n > 1 or quietly ignores it.
func TestSupportsPermits(t *testing.T) {
	ctx := context.Background()
	lb := local.New(driver.DefaultOptions())
	defer lb.Close()
	ok, err := scenario.SupportsPermits(ctx, lb)
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = scenario.SupportsPermits(ctx, ignoresPermits{lb})
	require.NoError(t, err)
	assert.False(t, ok, "a backend that makes every lock a mutex")
	ok, err = scenario.SupportsPermits(ctx, refusesPermits{lb})
	require.NoError(t, err)
	assert.False(t, ok, "a backend that refuses n > 1")
	assert.Zero(t, lb.Len(), "the probe leaves nothing held")
}

// ignoresPermits drops every option but the blocking window, as a backend that has no
// permits would.
type ignoresPermits struct{ *local.Backend }

func (b ignoresPermits) NewLock(name string, _ ...lock.Option) (lock.Locker, error) {
	return b.Backend.NewLock(name, lock.WithBlocking(lock.NoWait))
}

type refusesPermits struct{ *local.Backend }

func (refusesPermits) NewLock(string, ...lock.Option) (lock.Locker, error) {
	return nil, driver.Invalidf("no permits here")
}
