package lock_test

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/driver"
	_ "github.com/batonlock/baton/lock/local"
)

func TestOpenErrors(t *testing.T) {
	cases := []struct {
		url, says string
	}{
		{"", "no scheme"},
		{"no-scheme-here", "no scheme"},
		{"bogus://x", `unknown backend scheme "bogus"`},
		{"bogus://x", "local"}, // lists the registered schemes
		{"local://?timeout=soon", `"timeout"`},
		{"local://?blocking=1x", `"blocking"`},
		{"local://?timeout=-1s", "-1s"},
		{"local://?timeout=1s&timeout=2s", "2 times"},
		{"local://?a=%zz", "malformed query"},
		{"local://?nope=1", `"nope"`},
		{"redis://user:hunter2@[::1", "malformed backend URL"},
		{"bogus://user:hunter2@host", "bogus"},
	}
	for _, c := range cases {
		_, err := lock.Open(context.Background(), c.url)
		if assert.ErrorIs(t, err, lock.ErrInvalid, c.url) {
			assert.Contains(t, err.Error(), c.says, c.url)
			assert.NotContains(t, err.Error(), "hunter2", "a password leaked into the error")
		}
	}
}

func TestOpenPassesDefaults(t *testing.T) {
	var got driver.Options
	var gotQuery string
	registerTestDefaults.Do(func() {
		driver.Register("test-defaults", func(_ context.Context, u *url.URL, d driver.Options) (lock.Backend, error) {
			testDefaultsSeen(d, u.RawQuery)
			return nil, driver.Invalidf("stop here")
		})
	})
	testDefaultsSeen = func(d driver.Options, q string) { got, gotQuery = d, q }
	_, _ = lock.Open(context.Background(), "TEST-DEFAULTS://h?timeout=3s&blocking=forever&mine=1")
	assert.Equal(t, "3s", got.Timeout.String())
	assert.Equal(t, lock.Forever, got.Blocking)
	assert.Equal(t, "mine=1", gotQuery, "shared keys are taken out, the driver's stay")
	assert.Contains(t, lock.Schemes(), "test-defaults")
}

// The scheme is registered once per process, so that -count=N runs the test N times.
var (
	registerTestDefaults sync.Once
	testDefaultsSeen     func(driver.Options, string)
)

func TestRegisterPanics(t *testing.T) {
	open := func(context.Context, *url.URL, driver.Options) (lock.Backend, error) { return nil, nil }
	assert.Panics(t, func() { driver.Register("local", open) }, "duplicate scheme")
	assert.Panics(t, func() { driver.Register("", open) }, "empty scheme")
	assert.Panics(t, func() { driver.Register("x-nil", nil) }, "nil opener")
}

func TestResolve(t *testing.T) {
	o, err := driver.Resolve("n", driver.DefaultOptions(), lock.WithTimeout(5*time.Millisecond))
	require.NoError(t, err)
	assert.Equal(t, 5*time.Millisecond, o.Timeout)
	assert.Equal(t, lock.Forever, o.Blocking)
	assert.NotNil(t, o.Log(), "a nil Logger means slog.Default()")
	_, err = driver.Resolve("n", driver.Options{Timeout: -1})
	assert.ErrorIs(t, err, lock.ErrInvalid, "bad defaults are caught too")
}

func TestRedact(t *testing.T) {
	cases := map[string]string{
		"redis://u:hunter2@h:1/0":                        "redis://u:xxxxx@h:1/0",
		"redis://h:1/0?password=hunter2&db=1":            "redis://h:1/0?password=xxxxx&db=1",
		"redis+sentinel://h:1?sentinel_password=hunter2": "redis+sentinel://h:1?sentinel_password=xxxxx",
		"redis://h:1/0?%zz&password=hunter2":             "redis://h:1/0?%zz&password=xxxxx",
		"redis://h:1/0?pass%77ord=hunter2":               "redis://h:1/0?pass%77ord=xxxxx",
		"local://":                                       "local:", // url.URL.String drops an empty host
	}
	for in, want := range cases {
		u, err := url.Parse(in)
		require.NoError(t, err)
		assert.Equal(t, want, driver.Redact(u))
		if strings.Contains(in, "hunter2") {
			assert.NotContains(t, driver.Scrub("dial "+in+" failed: hunter2", u), "hunter2")
		}
	}
	for _, raw := range []string{"//h?password=hunter2", "local://?password=hunter2&%zz"} {
		_, err := lock.Open(context.Background(), raw)
		require.ErrorIs(t, err, lock.ErrInvalid)
		assert.NotContains(t, err.Error(), "hunter2", raw)
	}
	assert.NotContains(t, lock.Config{URL: "redis://h:1/0?password=hunter2"}.String(), "hunter2")
}

// TestMinimums: the shortest timeout and lease are the same constants on every backend, so
// local:// refuses what Redis would refuse, and the error gives the reason.
func TestMinimums(t *testing.T) {
	for _, d := range []time.Duration{time.Nanosecond, 500 * time.Microsecond, lock.MinTimeout - 1} {
		_, err := driver.Resolve("n", driver.DefaultOptions(), lock.WithTimeout(d))
		require.ErrorIs(t, err, lock.ErrInvalid, "WithTimeout(%v)", d)
		assert.ErrorContains(t, err, "expiry resolution")
	}
	o, err := driver.Resolve("n", driver.DefaultOptions(), lock.WithTimeout(lock.MinTimeout))
	require.NoError(t, err)
	assert.Equal(t, time.Millisecond, o.Timeout)

	bad := map[string]string{
		"local://?timeout=500us": "lock.MinTimeout",
		"local://?timeout=1ns":   "lock.MinTimeout",
		"local://?lease=1ms":     "lock.MinLease",
		"local://?lease=99ms":    "renewed every third",
		"local://?lease=0s":      "lock.MinLease",
	}
	for u, says := range bad {
		_, err := lock.Open(context.Background(), u)
		require.ErrorIs(t, err, lock.ErrInvalid, u)
		assert.ErrorContains(t, err, says, u)
	}
	b, err := lock.Open(context.Background(), "local://?timeout=1ms&lease=100ms")
	require.NoError(t, err, "the minimums themselves are accepted")
	require.NoError(t, b.Close())
}
