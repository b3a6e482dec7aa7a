package lock_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/batonlock/baton/lock"
	_ "github.com/batonlock/baton/lock/redis"
)

// loadConfig reads a sample config from testdata, JSON directly or YAML as the "lock" section
// of a service's own file, with ADDR replaced by addr.
func loadConfig(t *testing.T, file, addr string) (lock.Config, error) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "config", file))
	require.NoError(t, err)
	data = bytes.ReplaceAll(data, []byte("ADDR"), []byte(addr))
	var cfg lock.Config
	if strings.HasSuffix(file, ".json") {
		return cfg, json.Unmarshal(data, &cfg)
	}
	var file_ struct {
		Service string      `yaml:"service"`
		Lock    lock.Config `yaml:"lock"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err = dec.Decode(&file_)
	return file_.Lock, err
}

func TestConfigFiles(t *testing.T) {
	mr := miniredis.RunT(t)
	mr.RequireAuth("s3cret")
	cases := []struct {
		file     string
		decodeOK bool
		says     string // in the decode or open error; "" for a good config
	}{
		{"good-local.json", true, ""},
		{"good-local.yaml", true, ""},
		{"good-redis.json", true, ""},
		{"good-redis.yaml", true, ""},
		{"bad-unknown-key.json", false, "timeuot"},
		{"bad-unknown-key.yaml", false, "blokcing"},
		{"bad-duration.json", true, "thirty seconds"},
		{"bad-duration.yaml", true, "lease"},
		{"bad-both.json", true, `"prefix" is set both`},
		{"bad-scheme.yaml", true, `"memcached"`},
		{"bad-no-url.json", true, "url is empty"},
		{"bad-redis-key.json", true, "pool_sise"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			cfg, err := loadConfig(t, c.file, mr.Addr())
			if !c.decodeOK {
				require.Error(t, err)
				assert.Contains(t, err.Error(), c.says)
				if strings.HasSuffix(c.file, ".json") {
					assert.ErrorIs(t, err, lock.ErrInvalid)
				}
				return
			}
			require.NoError(t, err)
			assert.NotContains(t, cfg.String(), "s3cret", "Config.String masks the password")
			b, err := lock.OpenConfig(context.Background(), cfg)
			if c.says == "" {
				require.NoError(t, err)
				require.NoError(t, b.Close())
				return
			}
			require.ErrorIs(t, err, lock.ErrInvalid)
			assert.Contains(t, err.Error(), c.says)
			assert.NotContains(t, err.Error(), "s3cret", "a password leaked into the error")
		})
	}
}

// TestConfigDefaultsFlowIntoLocks: the backend's defaults apply to every lock; a lock's own
// options win.
func TestConfigDefaultsFlowIntoLocks(t *testing.T) {
	ctx := context.Background()
	b, err := lock.OpenConfig(ctx, lock.Config{URL: "local://", Blocking: "nowait-is-not-a-duration"})
	require.ErrorIs(t, err, lock.ErrInvalid)
	assert.Nil(t, b)

	b, err = lock.OpenConfig(ctx, lock.Config{URL: "local://", Blocking: "0s", Timeout: "50ms"})
	require.NoError(t, err)
	defer b.Close()
	holder, err := b.NewLock("n")
	require.NoError(t, err)
	require.NoError(t, holder.Acquire(ctx))
	try, err := b.NewLock("n")
	require.NoError(t, err)
	assert.ErrorIs(t, try.Acquire(ctx), lock.ErrNotAcquired, "blocking=0s from the config: try once")
	select {
	case <-holder.Lost():
	case <-time.After(10 * time.Second):
		t.Fatal("timeout=50ms from the config did not free the lock")
	}
	patient, err := b.NewLock("n", lock.WithBlocking(lock.Forever), lock.WithTimeout(0))
	require.NoError(t, err)
	require.NoError(t, patient.Acquire(ctx), "the lock's own options win")
	require.NoError(t, patient.Release(ctx))
}

func TestOpenEnv(t *testing.T) {
	ctx := context.Background()
	const env = "BATON_TEST_LOCK_URL"

	t.Setenv(env, "redis://:s3cret@127.0.0.1:1/0?lease=x")
	_, err := lock.OpenEnv(ctx, env)
	assert.ErrorIs(t, err, lock.ErrInvalid)
	assert.NotContains(t, err.Error(), "s3cret")

	mr := miniredis.RunT(t)
	t.Setenv(lock.DefaultEnv, "redis://"+mr.Addr()+"/0")
	b, err := lock.OpenEnv(ctx, "")
	require.NoError(t, err)
	l, err := b.NewLock("n")
	require.NoError(t, err)
	require.NoError(t, l.Acquire(ctx))
	assert.True(t, mr.Exists("baton:{n}"), "the lock lives in the Redis the variable names")
	require.NoError(t, l.Release(ctx))
	require.NoError(t, b.Close())
}

// TestOpenEnvFailsSafe: an unset or empty variable is an error that names it and says how to
// choose the in-memory backend, never a silent local:// (each replica would lock only
// against itself).
func TestOpenEnvFailsSafe(t *testing.T) {
	const env = "BATON_TEST_LOCK_URL"
	set := map[string]func(){
		"unset": func() { t.Setenv(env, "x"); require.NoError(t, os.Unsetenv(env)) },
		"empty": func() { t.Setenv(env, "") },
		"blank": func() { t.Setenv(env, "  ") },
	}
	for state, setup := range set {
		setup()
		b, err := lock.OpenEnv(context.Background(), env)
		require.ErrorIs(t, err, lock.ErrInvalid, state)
		assert.Nil(t, b, state)
		assert.Contains(t, err.Error(), env, state)
		assert.Contains(t, err.Error(), `"local://" for a single process`, state)
	}
	t.Setenv(lock.DefaultEnv, "x")
	require.NoError(t, os.Unsetenv(lock.DefaultEnv))
	_, err := lock.OpenEnv(context.Background(), "")
	require.ErrorIs(t, err, lock.ErrInvalid)
	assert.ErrorContains(t, err, "environment variable "+lock.DefaultEnv+" is unset")
}
