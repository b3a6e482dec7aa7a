package scenario_test

import (
	"context"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/bench/scenario"
	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/driver"
	"github.com/batonlock/baton/lock/local"
	redislock "github.com/batonlock/baton/lock/redis"
)

// TestFightFleet: in both hold modes every worker fights on a backend of its own, opened
// for the fight and closed after it, and no two hold the lock at once.
func TestFightFleet(t *testing.T) {
	ctx := context.Background()
	m := miniredis.RunT(t)
	for _, tc := range []struct {
		timeout time.Duration
		want    string
	}{{0, "fight8"}, {30 * time.Second, "fight8-timed"}} {
		var opened []lock.Backend
		tg := scenario.Backend("miniredis", redisBackend(t, m.Addr()))
		tg.Fleet = scenario.BackendFleet(func(context.Context) (lock.Backend, error) {
			b, err := redislock.New(client(t, m.Addr()))
			opened = append(opened, b)
			return b, err
		})
		s, err := scenario.FightFleet(ctx, tg, scenario.Params{Ops: 40, Workers: 4, Section: 100 * time.Microsecond, Timeout: tc.timeout})
		require.NoError(t, err, tc.want)
		assert.Equal(t, tc.want, s.Scenario)
		assert.Equal(t, 40, s.Ops, tc.want)
		assert.Zero(t, s.Overlaps, tc.want)
		assert.Positive(t, s.P99, tc.want)
		require.Len(t, opened, 4, "%s: one backend per worker", tc.want)
		for _, b := range opened {
			_, err := b.NewLock("after")
			assert.ErrorIs(t, err, lock.ErrClosed, "%s: the fleet is closed after the fight", tc.want)
		}
		t.Log(s)
	}
}

// TestFightFleetRefused: a target without a fleet, and sync.Mutex asked for timed holds,
// get ErrNoFleet; sync.Mutex fights its leased fleet in one process.
func TestFightFleetRefused(t *testing.T) {
	ctx := context.Background()
	lb := local.New(driver.DefaultOptions())
	t.Cleanup(func() { _ = lb.Close() })
	p := scenario.Params{Ops: 20, Workers: 4, Section: 100 * time.Microsecond}
	_, err := scenario.FightFleet(ctx, scenario.Backend("local", lb), p)
	require.ErrorIs(t, err, scenario.ErrNoFleet)

	p.Timeout = time.Second
	_, err = scenario.FightFleet(ctx, scenario.SyncMutex(), p)
	require.ErrorIs(t, err, scenario.ErrNoFleet)

	p.Timeout = 0
	s, err := scenario.FightFleet(ctx, scenario.SyncMutex(), p)
	require.NoError(t, err)
	assert.Equal(t, 20, s.Ops)
	assert.Zero(t, s.Overlaps)
}

// TestRawFleet: the raw recipe's fleet gives every worker a client of its own.
func TestRawFleet(t *testing.T) {
	m := miniredis.RunT(t)
	var clients []*goredis.Client
	tg := scenario.RawRedis(client(t, m.Addr()), "raw:")
	tg.Fleet = scenario.RawFleet(func() (goredis.UniversalClient, error) {
		c := goredis.NewClient(&goredis.Options{Addr: m.Addr()})
		clients = append(clients, c)
		return c, nil
	}, "raw:")
	s, err := scenario.FightFleet(context.Background(), tg, scenario.Params{Ops: 20, Workers: 4, Section: 100 * time.Microsecond})
	require.NoError(t, err)
	assert.Equal(t, 20, s.Ops)
	assert.Zero(t, s.Overlaps)
	require.Len(t, clients, 4)
	for _, c := range clients {
		assert.ErrorIs(t, c.Ping(context.Background()).Err(), goredis.ErrClosed, "closed after the fight")
	}
}
