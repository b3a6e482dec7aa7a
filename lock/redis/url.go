package redis

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	goredis "github.com/redis/go-redis/v9"

	"github.com/batonlock/baton/internal/vocab"
	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/driver"
)

func init() {
	for _, scheme := range []string{"redis", "rediss", "unix"} {
		driver.Register(scheme, openURL)
	}
}

// openURL is the driver.Opener of redis://, rediss:// and unix:// URLs. Baton's own query keys
// (prefix, lease) are taken out; the rest goes to go-redis's ParseURL, which rejects keys it
// does not know. The backend pings the server before it is returned, and owns the client.
func openURL(ctx context.Context, u *url.URL, defaults driver.Options) (lock.Backend, error) {
	opts, rest, err := popOwnKeys(u, defaults)
	if err != nil {
		return nil, err
	}
	ro, err := goredis.ParseURL(rest.String())
	if err != nil {
		return nil, parseError(u, err)
	}
	ro.ContextTimeoutEnabled = true // see honourDeadlines
	return openClient(ctx, u, goredis.NewClient(ro), opts)
}

// popOwnKeys takes baton's own query keys (prefix, lease) out of u's query and returns the
// options they set, with a copy of u that holds the rest of the query.
func popOwnKeys(u *url.URL, defaults driver.Options) ([]Option, *url.URL, error) {
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, nil, driver.Invalidf("malformed query in backend URL %q: %v", driver.Redact(u), err)
	}
	opts := []Option{WithDefaults(defaults)}
	if prefix, ok, err := driver.PopString(q, "prefix"); err != nil {
		return nil, nil, err
	} else if ok {
		opts = append(opts, WithPrefix(prefix))
	}
	lease, err := driver.PopDuration(q, "lease", DefaultLease)
	if err != nil {
		return nil, nil, err
	}
	opts = append(opts, WithLease(lease))
	if err := vocab.PoolCounts(u, q); err != nil {
		return nil, nil, err
	}
	if u.Opaque != "" {
		// "redis:host:port" parses with the host in Opaque, and go-redis would dial
		// localhost:6379 instead.
		return nil, nil, driver.Invalidf("backend URL %q: want %s://host:port", driver.Redact(u), u.Scheme)
	}
	rest := *u
	rest.RawQuery = q.Encode()
	return opts, &rest, nil
}

// parseError turns an error of one of go-redis's URL parsers into an lock.ErrInvalid error
// that names the URL of u without its password.
func parseError(u *url.URL, err error) error {
	where := driver.Redact(u)
	msg := strings.TrimPrefix(driver.Scrub(err.Error(), u), "redis: ")
	if keys, ok := strings.CutPrefix(msg, "unexpected option: "); ok {
		return vocab.UnknownKeys(u, strings.Split(keys, ", "), "blocking", "lease", "prefix", "timeout", vocab.GoRedisKeys)
	}
	return driver.Invalidf("backend URL %q: %s", where, msg)
}

// honourDeadlines: every client the backend makes from a URL has go-redis's
// ContextTimeoutEnabled set. Without it a call on a stalled link ignores ctx and waits for
// the client's ReadTimeout (5s by default), so Acquire would overrun its blocking window and
// ctx deadline by that much, and Release and Extend would ignore theirs.

// openClient makes a backend that owns client, once the server answers a ping and passes
// checkServer.
func openClient(ctx context.Context, u *url.URL, client goredis.UniversalClient, opts []Option) (lock.Backend, error) {
	cfg, err := newConfig(client, opts)
	if err != nil {
		_ = client.Close()
		return nil, err
	}
	if err := client.Ping(ctx).Err(); err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("redis backend %q: cannot reach the server: %w", driver.Redact(u), scrubbed(err, u))
	}
	if err := checkServer(ctx, client, cfg); err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("redis backend %q: %w", driver.Redact(u), scrubbed(err, u))
	}
	b := build(client, cfg)
	b.owned = true
	return b, nil
}

// scrubbed returns err, or an error with its message when that held u's password.
func scrubbed(err error, u *url.URL) error {
	if msg := driver.Scrub(err.Error(), u); msg != err.Error() {
		return errors.New(msg)
	}
	return err
}
