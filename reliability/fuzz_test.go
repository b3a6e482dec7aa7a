package reliability_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/alicebob/miniredis/v2"
	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/driver"
	"github.com/batonlock/baton/lock/local"
	redislock "github.com/batonlock/baton/lock/redis"
)

// Hostile input: every bad value is an ErrInvalid error, nothing panics, and no valid name
// reaches another name's keys. Run one target at a time with
//
//	go test -run '^$' -fuzz '^FuzzOpenURL$' -fuzztime 20s ./reliability/

// nowhere is where fuzzed Redis URLs may point: a port nothing listens on, so nothing
// connects, and Open's ping fails at once.
const nowhere = "127.0.0.1:1"

var urlSeeds = []string{
	"", "local://", "local:///", "LOCAL://", "local:", "local://host", "local:///path", "local://u:p@",
	"local://?timeout=1s&blocking=forever", "local://?timeout=-1s", "local://?blocking=-2s", "local://?timeout=1s&timeout=2s",
	"local://?prefix=a&lease=5s", "local://?lease=-1s", "local://?frobnicate=1", "local://?%zz", "local://?a=%",
	"local://?timeout=9223372036854775807ns", "local://?blocking=0s", "local://#frag",
	"redis://" + nowhere, "redis://" + nowhere + "/0", "redis://" + nowhere + "/x", "redis://" + nowhere + "/99999999999999999999",
	"redis://user:s3cretpassword@" + nowhere + "/0?prefix=orders:&lease=30s",
	"redis://" + nowhere + "/0?password=s3cretpassword&frobnicate=1",
	"//" + nowhere + "/0?password=s3cretpassword", "local://?password=s3cretpassword&%zz",
	"redis://" + nowhere + "/0?lease=0s", "redis://" + nowhere + "/0?lease=soon", "redis://" + nowhere + "/0?prefix=a&prefix=b",
	"redis://" + nowhere + "/0?dial_timeout=banana", "redis://" + nowhere + "/0?max_retries=-5&protocol=9",
	"rediss://" + nowhere + "/0", "unix:///nonexistent/baton.sock?db=1", "redis+cluster://" + nowhere,
	"mem://", "http://" + nowhere, "::", "%", "%zz://", "redis://[::1", "redis://" + nowhere + ":2",
	"redis://a b", "redis://" + nowhere + "/0?timeout=1s\x00", "\x00local://", "local://\xff",
}

// harmless reports whether Open may be given raw: it must not connect anywhere but nowhere.
// Every Redis scheme (redis, rediss, and their +cluster, +sentinel and +quorum forms) must
// name nowhere as its only host, in the URL's host list and in any addr query key. Sentinel
// URLs are left out: go-redis dials the Sentinels in the background, retrying for about
// 1.7 s past the ctx of Open, and leaves those goroutines running after Close.
func harmless(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return true // Open rejects it before any driver runs
	}
	scheme := strings.ToLower(u.Scheme)
	switch {
	case scheme == "unix":
		return strings.HasPrefix(u.Path, "/nonexistent/") && !strings.Contains(u.Path, "..")
	case strings.HasPrefix(scheme, "redis"):
		if strings.Contains(scheme, "sentinel") {
			return false
		}
		for _, host := range strings.Split(u.Host, ",") {
			if host != nowhere {
				return false
			}
		}
		for key, values := range u.Query() {
			if !strings.Contains(strings.ToLower(key), "addr") {
				continue
			}
			for _, v := range values {
				if v != nowhere {
					return false
				}
			}
		}
	}
	return true // local, a Redis URL of nowhere, or a scheme nobody registered
}

// The fuzz targets open only URLs that harmless allows: none may reach past nowhere.
func TestHarmless(t *testing.T) {
	for _, raw := range []string{
		"", "local://", "%zz://", "mem://x", "redis://" + nowhere + "/0", "rediss://" + nowhere,
		"redis+cluster://" + nowhere + "?addr=" + nowhere, "REDIS+QUORUM://" + nowhere + "," + nowhere + "/0",
		"unix:///nonexistent/baton.sock",
	} {
		assert.True(t, harmless(raw), "%q", raw)
	}
	for _, raw := range []string{
		"redis://10.0.0.1:6379", "redis://a:1/0", "rediss://" + nowhere + "0", "redis+cluster://10.0.0.1:6379",
		"redis+cluster://" + nowhere + "?addr=example.com:6379", "redis+cluster://" + nowhere + "?ADDR=10.0.0.1:1",
		"redis+quorum://" + nowhere + ",10.0.0.2:1/0",
		"redis+sentinel://" + nowhere + "?master_name=m", "unix:///tmp/redis.sock", "unix:///nonexistent/../tmp/x",
	} {
		assert.False(t, harmless(raw), "%q", raw)
	}
}

// checkOpen opens raw, which harmless allowed, and checks the result.
func checkOpen(t *testing.T, raw string, open func(context.Context) (lock.Backend, error)) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	b, err := open(ctx)
	if err == nil {
		require.NotNil(t, b)
		require.NoError(t, b.Close())
		return
	}
	require.Nil(t, b)
	if !errors.Is(err, lock.ErrInvalid) {
		// The only other failure is a well-formed Redis URL whose server cannot be reached.
		require.Contains(t, err.Error(), "cannot reach the server", "neither ErrInvalid nor unreachable: %v", err)
	}
	if u, perr := url.Parse(raw); perr == nil {
		for _, pw := range passwords(u) {
			if lookable(pw, raw) {
				require.NotContains(t, err.Error(), pw, "the password is in the error")
			}
		}
	}
}

// lookable reports whether pw can be looked for in output made from raw: it is long enough
// to mean something, and (half of it) shows nowhere in the parts of raw that may be printed
// (scheme, host, path, fragment, user name, query keys and other values), nor in any of the
// other texts the output may repeat.
func lookable(pw, raw string, other ...string) bool {
	if len(pw) < 8 {
		return false
	}
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	// The mask and the punctuation around it are printed too: "?password=xxxxx" holds the
	// password "?passwor" without leaking it.
	shown := []string{u.Scheme, u.Opaque, u.Host, u.Path, u.EscapedPath(), u.Fragment, u.EscapedFragment(),
		u.User.Username() + ":xxxxx@"}
	for _, part := range strings.Split(u.RawQuery, "&") {
		k, v, _ := strings.Cut(part, "=")
		shown = append(shown, "?"+k+"=xxxxx&")
		if key, err := url.QueryUnescape(k); err == nil {
			k = key
		}
		if !strings.Contains(strings.ToLower(k), "password") {
			shown = append(shown, v)
		}
	}
	shown = append(shown, masked(u))
	rest := strings.Join(append(shown, other...), " ")
	return !strings.Contains(rest, pw[:len(pw)/2])
}

// masked is u as an error may print it, every password replaced by the mask: pieces next
// to each other there (host, path, query key) can spell a "password" that leaks nothing,
// like "1:1/0?pa" in "//1:1/0?password=xxxxx". It is the test's own masking, not the
// library's, so that a redaction that leaks cannot excuse itself.
func masked(u *url.URL) string {
	m := *u
	if _, ok := u.User.Password(); ok {
		m.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	parts := strings.Split(u.RawQuery, "&")
	for i, part := range parts {
		k, _, hasValue := strings.Cut(part, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			key = k
		}
		if hasValue && strings.Contains(strings.ToLower(key), "password") {
			parts[i] = k + "=xxxxx"
		}
	}
	m.RawQuery = strings.Join(parts, "&")
	return m.String()
}

func passwords(u *url.URL) []string {
	var ps []string
	if p, ok := u.User.Password(); ok {
		ps = append(ps, p)
	}
	if q, err := url.ParseQuery(u.RawQuery); err == nil {
		ps = append(ps, q["password"]...)
	}
	return ps
}

// FuzzOpenURL: lock.Open with any URL (only local:// and Redis URLs that point nowhere are
// opened) returns a backend, ErrInvalid, or an unreachable-server error; never a panic, and
// never a password in an error.
func FuzzOpenURL(f *testing.F) {
	for _, s := range urlSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if !harmless(raw) {
			t.Skip("would connect somewhere else than " + nowhere)
		}
		checkOpen(t, raw, func(ctx context.Context) (lock.Backend, error) { return lock.Open(ctx, raw) })
	})
}

// FuzzConfig: any JSON decodes into a lock.Config or fails with ErrInvalid (or, for text
// that is not JSON at all, encoding/json's syntax error); OpenConfig of what decodes
// behaves as Open does, and String never shows a password.
func FuzzConfig(f *testing.F) {
	for _, s := range []string{
		`{"url":"local://"}`, `{"url":"local://","timeout":"1s","blocking":"forever","prefix":"x:","lease":"5s"}`,
		`{"url":"local://?timeout=1s","timeout":"2s"}`, `{"url":""}`, `{"url":"  "}`, `{}`, `{"URL":"local://"}`,
		`{"url":"local://","frobnicate":1}`, `{"url":"local://","timeout":"soon"}`, `{"url":"local://","blocking":"-1s"}`,
		`{"url":"redis://u:s3cretpassword@` + nowhere + `/0","lease":"0s"}`, `{"url":"redis://` + nowhere + `/0","prefix":"p:"}`,
		`{"url":"redis://` + nowhere + `/0?password=s3cretpassword"}`, `{"url":"%zz"}`, `{"url":"local://","url":"redis://` + nowhere + `"}`, `{"url":1}`, `[]`, `null`, `"x"`, ``, `{`,
		`{"url":"local://","timeout":"1s","timeout":"2s"}`, `{"url":"local://\u0000"}`, `{"url":"local://","prefix":"{}"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var cfg lock.Config
		if err := json.Unmarshal(data, &cfg); err != nil {
			var syntax *json.SyntaxError
			require.True(t, errors.Is(err, lock.ErrInvalid) || errors.As(err, &syntax), "%T: %v", err, err)
			return
		}
		s := cfg.String()
		if u, err := url.Parse(cfg.URL); err == nil {
			for _, pw := range passwords(u) {
				if lookable(pw, cfg.URL, cfg.Prefix, cfg.Lease, cfg.Timeout, cfg.Blocking, lock.Config{}.String()) {
					require.NotContains(t, s, pw, "String shows the password")
				}
			}
		}
		if !harmless(cfg.URL) {
			t.Skip("would connect somewhere else than " + nowhere)
		}
		checkOpen(t, cfg.URL, func(ctx context.Context) (lock.Backend, error) { return lock.OpenConfig(ctx, cfg) })
	})
}

var nameSeeds = []string{
	"", "a", "invoice:42", "{", "}", "{a}", "a}:fence", "x\x00y", "\xff\xfe", "a\nb", "\t", "\u200b", "é", "日本",
	"baton:", "baton:{a}", "a:fence", ":fence", "a:released", strings.Repeat("x", lock.MaxNameLen),
	strings.Repeat("x", lock.MaxNameLen+1), strings.Repeat("é", lock.MaxNameLen/2), strings.Repeat("é", lock.MaxNameLen/2+1),
	"\x7f", "\u0085", "\U0010FFFF", "\xed\xa0\x80", " ", "*", "?", "[a-z]", "a\\", "\"",
}

// keyset is a miniredis, and a backend on it, for the name and key checks.
type keyset struct {
	m *miniredis.Miniredis
	b *redislock.Backend
}

func newKeyset(tb testing.TB) *keyset {
	m := miniredis.RunT(tb)
	c := goredis.NewClient(&goredis.Options{Addr: m.Addr(), ContextTimeoutEnabled: true})
	tb.Cleanup(func() { _ = c.Close() })
	return &keyset{m: m, b: newBackend(tb, c, redislock.WithPrefix("baton:"))}
}

// keysOf returns every key on the server, sorted.
func (k *keyset) keys() []string {
	ks := k.m.Keys()
	sort.Strings(ks)
	return ks
}

// FuzzLockName: NewLock on the local backend and on Redis (miniredis) accepts exactly the
// names lock.ValidateName accepts, and rejects the others with ErrInvalid; a name it
// accepts can be taken, and on Redis touches only its own key and the server's one fence
// counter.
func FuzzLockName(f *testing.F) {
	for _, s := range nameSeeds {
		f.Add(s)
	}
	loc := local.New(driver.Options{Blocking: lock.NoWait, Logger: quiet})
	f.Cleanup(func() { _ = loc.Close() })
	ks := newKeyset(f)
	f.Fuzz(func(t *testing.T, name string) {
		valid := lock.ValidateName(name)
		if valid != nil {
			require.ErrorIs(t, valid, lock.ErrInvalid)
			require.Contains(t, valid.Error(), "lock name")
			assert.True(t, name == "" || len(name) > lock.MaxNameLen || !utf8.ValidString(name) ||
				strings.ContainsAny(name, "{}") || strings.ContainsFunc(name, isControl), "rejected %q: %v", name, valid)
		}
		ctx := testCtx(t)
		for _, b := range []lock.Backend{loc, ks.b} {
			l, err := b.NewLock(name, lock.WithBlocking(lock.NoWait))
			if valid != nil {
				require.ErrorIs(t, err, lock.ErrInvalid)
				require.Nil(t, l)
				continue
			}
			require.NoError(t, err)
			require.Equal(t, name, l.Name())
			require.NoError(t, l.Acquire(ctx))
			if b == ks.b {
				require.Equal(t, []string{"baton:fence:v2", "baton:{" + name + "}"}, ks.keys())
			}
			require.NoError(t, l.Release(ctx))
		}
		assert.Zero(t, loc.Len())
		ks.m.FlushAll()
	})
}

func isControl(r rune) bool { return r < 0x20 || (r >= 0x7f && r < 0xa0) }

// FuzzKeyspace: two distinct valid names never share a key. With a held, b can still be
// taken (a does not block it), and the server then holds exactly the keys of the two names
// and the fence counter. Names that contain the prefix, ":fence" or ":released" are the
// interesting ones.
func FuzzKeyspace(f *testing.F) {
	pairs := [][2]string{
		{"a", "a:fence"}, {"a", "a:released"}, {"a:fence", "a"}, {"baton:a", "a"}, {"a", "baton:a"}, {"a", "a "},
		{"x", "x:fence:fence"}, {"", "a"}, {"a", "a"}, {"a}", "a"}, {"é", "e\u0301"}, {":fence", "fence"},
		{"baton:{a}:fence", "a"}, {"a", strings.Repeat("a", lock.MaxNameLen)},
	}
	for _, p := range pairs {
		f.Add(p[0], p[1])
	}
	ks := newKeyset(f)
	f.Fuzz(func(t *testing.T, a, b string) {
		if a == b || lock.ValidateName(a) != nil || lock.ValidateName(b) != nil {
			t.Skip("the same name, or an invalid one")
		}
		ctx := testCtx(t)
		defer ks.m.FlushAll()
		la, err := ks.b.NewLock(a, lock.WithBlocking(lock.NoWait))
		require.NoError(t, err)
		lb, err := ks.b.NewLock(b, lock.WithBlocking(lock.NoWait))
		require.NoError(t, err)
		require.NoError(t, la.Acquire(ctx))
		require.NoError(t, lb.Acquire(ctx), "%q is held: %q must not be", a, b)
		want := []string{"baton:{" + a + "}", "baton:{" + b + "}", "baton:fence:v2"}
		sort.Strings(want)
		require.Equal(t, want, ks.keys())
		require.NoError(t, la.Release(ctx))
		want = []string{"baton:{" + b + "}", "baton:fence:v2"}
		sort.Strings(want)
		require.Equal(t, want, ks.keys(), "releasing %q deleted only its own key", a)
		held, err := lb.Locked(ctx)
		require.NoError(t, err)
		require.True(t, held, "releasing %q freed %q", a, b)
		require.NoError(t, lb.Release(ctx))
	})
}

// FuzzOptions: any timeout and blocking window, and any Extend ttl. Negative values (but
// lock.Forever for blocking) are ErrInvalid from NewLock, a ttl below lock.MinTimeout is
// ErrInvalid from Extend; everything else works on the local backend and on Redis (miniredis), or ends in
// ErrNotHeld when a tiny timeout (or Extend ttl) ran out. On Redis a blocking window shorter
// than a round trip may end before the first try is answered, even on a free lock: that
// is ErrNotAcquired (NoWait, which always waits for its one try, does not have this edge).
// Each input locks a name of its own: a try that an earlier input's window gave up on may
// reach miniredis (which serves each connection on a goroutine of its own) after the undo
// that follows it, and keep that name taken for its lease.
func FuzzOptions(f *testing.F) {
	for _, s := range [][3]int64{
		{0, int64(lock.Forever), 1}, {0, 0, 0}, {-1, 0, 1}, {0, -1, 1}, {1, 0, -1}, {1, 1, 1},
		{int64(time.Second), int64(time.Millisecond), int64(time.Minute)},
		{1<<63 - 1, 1<<63 - 1, 1<<63 - 1}, {-1 << 63, -1 << 63, -1 << 63}, {int64(time.Millisecond), 0, 1 << 62},
		{1 << 62, 0, 1}, {(1<<63 - 1) / 10, 0, (1<<63 - 1) / 10}, {int64(999 * time.Microsecond), 0, 999},
	} {
		f.Add(s[0], s[1], s[2])
	}
	loc := local.New(driver.Options{Blocking: lock.Forever, Logger: quiet})
	f.Cleanup(func() { _ = loc.Close() })
	ks := newKeyset(f)
	var inputs atomic.Int64
	f.Fuzz(func(t *testing.T, timeout, blocking, ttl int64) {
		name := fmt.Sprintf("opts%d", inputs.Add(1))
		to, bl, ex := time.Duration(timeout), time.Duration(blocking), time.Duration(ttl)
		bad := to < 0 || (to > 0 && to < lock.MinTimeout) || (bl < 0 && bl != lock.Forever)
		ctx := testCtx(t)
		defer ks.m.FlushAll()
		for _, b := range []lock.Backend{loc, ks.b} {
			l, err := b.NewLock(name, lock.WithTimeout(to), lock.WithBlocking(bl))
			if bad {
				require.ErrorIs(t, err, lock.ErrInvalid)
				continue
			}
			require.NoError(t, err)
			if err := l.Acquire(ctx); err != nil {
				require.True(t, b == ks.b && bl > 0 && bl < time.Second, "the lock is free: %v", err)
				require.ErrorIs(t, err, lock.ErrNotAcquired)
				continue
			}
			tiny := to > 0 && to < time.Second // the hold may have run out
			err = l.Extend(ctx, ex)
			switch {
			case ex < lock.MinTimeout:
				require.ErrorIs(t, err, lock.ErrInvalid)
			case err != nil:
				require.ErrorIs(t, err, lock.ErrNotHeld)
				require.True(t, tiny, "only a tiny timeout may have run out: %v", err)
			case to > 0 && ex < time.Second:
				tiny = true // Extend made the hold end ex from now
			}
			if err := l.Release(ctx); err != nil {
				require.ErrorIs(t, err, lock.ErrNotHeld)
				require.True(t, tiny, "only a tiny timeout may have run out: %v", err)
			}
		}
		assert.Zero(t, loc.Len())
	})
}

func TestFuzzSeedsAreSane(t *testing.T) {
	assert.True(t, harmless("redis://"+nowhere+"/0"))
	assert.False(t, harmless("redis://example.com:6379"))
	assert.False(t, harmless("unix:///var/run/redis.sock"))
	assert.True(t, harmless("local://"))
}
