package redistest_test

import (
	"context"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redistest"
)

// TestGate: the gate holds the first command that names a held key, alone or in a
// pipeline, until Open; other commands, and later ones on that key, pass; a held command
// whose context ends fails without reaching the server.
func TestGate(t *testing.T) {
	m := redistest.StartMini(t)
	c := goredis.NewClient(&goredis.Options{Addr: m.Addr(), MaxRetries: -1})
	defer c.Close()
	g := &redistest.Gate{}
	c.AddHook(g)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	h := g.Hold("k")
	done := make(chan error, 1)
	go func() { done <- c.Set(ctx, "k", "v", 0).Err() }()
	<-h.Reached()
	require.NoError(t, c.Set(ctx, "other", "v", 0).Err(), "a command on another key passes")
	select {
	case err := <-done:
		t.Fatalf("the held command went on: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	assert.False(t, m.Exists("k"))
	h.Open()
	require.NoError(t, <-done)
	assert.True(t, m.Exists("k"))
	require.NoError(t, c.Del(ctx, "k").Err(), "a hold is used once")

	h = g.Hold("p")
	short, stop := context.WithTimeout(ctx, 50*time.Millisecond)
	defer stop()
	pipe := c.Pipeline()
	pipe.Set(short, "q", "v", 0)
	pipe.Set(short, "p", "v", 0)
	_, err := pipe.Exec(short)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.False(t, m.Exists("p"))
	assert.False(t, m.Exists("q"), "the whole pipeline is held")
	h.Open()
}
