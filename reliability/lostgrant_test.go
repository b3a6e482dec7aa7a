package reliability_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redistest"
	"github.com/batonlock/baton/lock"
	redislock "github.com/batonlock/baton/lock/redis"
)

// TestGrantLostAndCounterDeleted (issue 14, bug 3): H holds g leased; W, through the
// fault proxy, queues on the server; W's link stalls and is cut, so the message of H's
// Release that grants W the key is lost; the fence counter is deleted or set to 1. W's
// next try finds the key already its own and holds with the fence the grant issued, above
// H's: a fenced store accepts W and still refuses H. The old rule returned the counter's
// value: 0 or 16.
func TestGrantLostAndCounterDeleted(t *testing.T) {
	for name, spoil := range map[string]func(ctx context.Context, c *goredis.Client) error{
		"deleted":  func(ctx context.Context, c *goredis.Client) error { return c.Del(ctx, "t:fence:v2").Err() },
		"set to 1": func(ctx context.Context, c *goredis.Client) error { return c.Set(ctx, "t:fence:v2", 1, 0).Err() },
	} {
		t.Run(name, func(t *testing.T) { grantLost(t, spoil) })
	}
}

func grantLost(t *testing.T, spoil func(ctx context.Context, c *goredis.Client) error) {
	s := redistest.Start(t)
	p := redistest.StartProxy(t, s.Addr())
	c := newClient(t, s.Addr())
	ctx := testCtx(t)
	holder := newLock(t, newBackend(t, newClient(t, s.Addr()), redislock.WithPrefix("t:")), "g")
	waiter := newLock(t, newBackend(t, newClient(t, p.Addr()), redislock.WithPrefix("t:")), "g",
		lock.WithBlocking(eventually))
	store := &fencedStore{}

	require.NoError(t, holder.Acquire(ctx))
	require.True(t, store.write(holder.Fence()))
	got := make(chan error, 1)
	go func() { got <- waiter.Acquire(ctx) }()
	require.Eventually(t, func() bool {
		n, err := c.HLen(ctx, "t:{g}:waiters").Result()
		return err == nil && n == 1
	}, eventually, time.Millisecond, "the waiter never queued on the server")

	p.Pause() // the grant's message stays in the proxy, and Cut drops it
	require.NoError(t, holder.Release(ctx))
	v, err := c.Get(ctx, "t:{g}").Result()
	require.NoError(t, err, "the Release granted the key to the waiter")
	_, fence, ok := strings.Cut(v, " ")
	require.True(t, ok, "the key holds %q", v)
	granted, err := strconv.ParseUint(fence, 10, 64)
	require.NoError(t, err)
	p.Cut()
	require.NoError(t, spoil(ctx, c))
	p.Resume()

	select {
	case err := <-got:
		require.NoError(t, err)
	case <-time.After(eventually):
		t.Fatal("the waiter never found the grant")
	}
	assert.Equal(t, granted, waiter.Fence(), "the fence the grant issued")
	assert.Greater(t, waiter.Fence(), holder.Fence())
	assert.True(t, store.write(waiter.Fence()))
	assert.False(t, store.write(holder.Fence()), "the store refuses the old holder")
	require.NoError(t, waiter.Release(ctx))
}
