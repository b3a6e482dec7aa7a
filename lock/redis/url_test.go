package redis_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redistest"
	"github.com/batonlock/baton/lock"
)

func TestOpenURL(t *testing.T) {
	m := redistest.StartMini(t)
	good := []string{
		"redis://" + m.Addr(),
		"redis://" + m.Addr() + "/0",
		"redis://" + m.Addr() + "/0?prefix=orders:&lease=5s",
		"redis://" + m.Addr() + "/0?lease=100ms&timeout=1ms", // lock.MinLease, lock.MinTimeout
		"redis://" + m.Addr() + "/0?timeout=2s&blocking=forever&dial_timeout=1s&read_timeout=2s",
	}
	for _, u := range good {
		b, err := lock.Open(context.Background(), u)
		if assert.NoError(t, err, u) {
			assert.NoError(t, b.Close())
		}
	}

	bad := []struct {
		url  string
		says []string // what the message must contain
	}{
		{"redis://" + m.Addr() + "/0?frobnicate=1", []string{"frobnicate"}},
		{"redis://" + m.Addr() + "/0?lease=soon", []string{"lease", "soon"}},
		{"redis://" + m.Addr() + "/0?lease=0s", []string{"lease"}},
		{"redis://" + m.Addr() + "/0?lease=1ms", []string{"lease 1ms", "lock.MinLease"}},
		{"redis://" + m.Addr() + "/0?lease=99ms", []string{"lease 99ms", "lock.MinLease"}},
		{"redis://" + m.Addr() + "/0?timeout=500us", []string{"timeout 500µs", "lock.MinTimeout"}},
		{"redis://" + m.Addr() + "/0?prefix=a&prefix=b", []string{"prefix"}},
		{"redis://" + m.Addr() + "/0?dial_timeout=banana", []string{"dial_timeout"}},
		{"redis://" + m.Addr() + "/x", []string{"database"}},
		{"redis://user:s3cret@" + m.Addr() + "/0?frobnicate=1", []string{"frobnicate"}},
		{"redis://user:s3cret@" + m.Addr() + "/x", []string{"database"}},
		{"unix://user:s3cret@/tmp/none.sock?password=hunter2&frobnicate=1", []string{"frobnicate"}},
	}
	for _, c := range bad {
		_, err := lock.Open(context.Background(), c.url)
		if !assert.ErrorIs(t, err, lock.ErrInvalid, c.url) {
			continue
		}
		for _, s := range c.says {
			assert.Contains(t, err.Error(), s, c.url)
		}
		assert.NotContains(t, err.Error(), "s3cret", "a password in an error")
		assert.NotContains(t, err.Error(), "hunter2", "a password in an error")
	}
}

func TestOpenUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := lock.Open(ctx, "redis://user:s3cret@127.0.0.1:1/0?dial_timeout=1s")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cannot reach")
	assert.NotContains(t, err.Error(), "s3cret")
}

func TestOpenedBackendWorks(t *testing.T) {
	m := redistest.StartMini(t)
	ctx := testCtx(t)
	b, err := lock.Open(ctx, "redis://"+m.Addr()+"/0?prefix=svc:&timeout=1m&blocking=0s")
	require.NoError(t, err)
	defer b.Close()
	l, err := b.NewLock("a")
	require.NoError(t, err)
	require.NoError(t, l.Acquire(ctx))
	assert.True(t, m.Exists("svc:{a}"), "the prefix is used")
	ttl := m.TTL("svc:{a}")
	assert.Greater(t, ttl, 50*time.Second, "the URL's timeout is the default")
	other, err := b.NewLock("a")
	require.NoError(t, err)
	assert.ErrorIs(t, other.Acquire(ctx), lock.ErrNotAcquired, "the URL's blocking=0s is NoWait")
	require.NoError(t, l.Release(ctx))
}
