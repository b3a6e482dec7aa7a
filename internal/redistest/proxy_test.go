package redistest_test

import (
	"context"
	"net"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/batonlock/baton/internal/redistest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestProxy(t *testing.T) {
	s := redistest.Start(t)
	p := redistest.StartProxy(t, s.Addr())
	c := goredis.NewClient(&goredis.Options{Addr: p.Addr(), MaxRetries: -1, DialerRetries: 1, ContextTimeoutEnabled: true})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	require.NoError(t, c.Set(ctx, "k", "v", 0).Err())
	assert.Equal(t, 1, p.Conns())

	p.Pause()
	short, cancelShort := context.WithTimeout(ctx, 100*time.Millisecond)
	err := c.Incr(short, "n").Err()
	cancelShort()
	var ne net.Error
	if assert.ErrorAs(t, err, &ne, "no reply through a paused link") {
		assert.True(t, ne.Timeout(), "%v", err)
	}
	p.Resume()
	// The INCR held by the pause reaches the server after Resume, as TCP would deliver it.
	assert.Eventually(t, func() bool {
		n, err := c.Get(ctx, "n").Int()
		return err == nil && n == 1
	}, 5*time.Second, 10*time.Millisecond)

	p.SetLatency(20 * time.Millisecond)
	start := time.Now()
	require.NoError(t, c.Ping(ctx).Err())
	assert.GreaterOrEqual(t, time.Since(start), 40*time.Millisecond, "one chunk each way")
	p.SetLatency(0)

	assert.Positive(t, p.Cut())
	// go-redis finds the dropped connection on its next call and dials again.
	assert.Eventually(t, func() bool { return c.Ping(ctx).Err() == nil }, 5*time.Second, 10*time.Millisecond)
	p.Close()
	assert.Error(t, c.Ping(ctx).Err(), "nothing gets through a closed proxy")
}

// TestProxyHoldNew: while new connections are held, the open one still answers and a new
// one gets no reply; once released, the new one answers too.
func TestProxyHoldNew(t *testing.T) {
	s := redistest.Start(t)
	p := redistest.StartProxy(t, s.Addr())
	open := func() *goredis.Client {
		c := goredis.NewClient(&goredis.Options{Addr: p.Addr(), MaxRetries: -1, DialerRetries: 1, ContextTimeoutEnabled: true, PoolSize: 1})
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	old := open()
	require.NoError(t, old.Ping(ctx).Err())

	p.HoldNew()
	require.NoError(t, old.Ping(ctx).Err(), "the open connection still flows")
	short, cancelShort := context.WithTimeout(ctx, 100*time.Millisecond)
	err := open().Ping(short).Err()
	cancelShort()
	var ne net.Error
	if assert.ErrorAs(t, err, &ne, "no reply on a held connection") {
		assert.True(t, ne.Timeout(), "%v", err)
	}

	p.ReleaseNew()
	assert.NoError(t, open().Ping(ctx).Err(), "new connections flow again")
}
