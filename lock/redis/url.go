package redis

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	goredis "github.com/redis/go-redis/v9"

	"github.com/batonlock/baton/lock"
)

func init() {
	for _, scheme := range []string{"redis", "rediss", "unix"} {
		lock.Register(scheme, openURL)
	}
}

// openURL is the lock.Opener of redis://, rediss:// and unix:// URLs. Baton's own query keys
// (prefix, lease) are taken out; the rest goes to go-redis's ParseURL, which rejects keys it
// does not know. The backend pings the server before it is returned, and owns the client.
func openURL(ctx context.Context, u *url.URL, defaults lock.Options) (lock.Backend, error) {
	where := redact(u)
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, lock.Invalidf("malformed query in redis URL %q: %v", where, err)
	}
	opts := []Option{WithDefaults(defaults)}
	if prefix, ok, err := lock.PopString(q, "prefix"); err != nil {
		return nil, err
	} else if ok {
		opts = append(opts, WithPrefix(prefix))
	}
	lease, err := lock.PopDuration(q, "lease", DefaultLease)
	if err != nil {
		return nil, err
	}
	opts = append(opts, WithLease(lease))

	rest := *u
	rest.RawQuery = q.Encode()
	ro, err := goredis.ParseURL(rest.String())
	if err != nil {
		msg := strings.TrimPrefix(scrub(err.Error(), u), "redis: ")
		if keys, ok := strings.CutPrefix(msg, "unexpected option: "); ok {
			return nil, lock.Invalidf("redis URL %q: unknown query key %s (baton's own are prefix, lease, timeout, blocking)", where, keys)
		}
		return nil, lock.Invalidf("redis URL %q: %s", where, msg)
	}
	client := goredis.NewClient(ro)
	b, err := New(client, opts...)
	if err != nil {
		_ = client.Close()
		return nil, err
	}
	b.owned = true
	if err := client.Ping(ctx).Err(); err != nil {
		_ = b.Close()
		if msg := scrub(err.Error(), u); msg != err.Error() {
			err = errors.New(msg)
		}
		return nil, fmt.Errorf("redis backend %q: cannot reach the server: %w", where, err)
	}
	return b, nil
}

// redact returns u as text without its password, wherever it was given.
func redact(u *url.URL) string {
	r := *u
	if q, err := url.ParseQuery(u.RawQuery); err == nil && q.Has("password") {
		q.Set("password", "xxxxx")
		r.RawQuery = q.Encode()
	}
	return r.Redacted()
}

// scrub removes u's password from a message that might repeat it.
func scrub(msg string, u *url.URL) string {
	var secrets []string
	if p, ok := u.User.Password(); ok && p != "" {
		secrets = append(secrets, p)
	}
	if q, err := url.ParseQuery(u.RawQuery); err == nil {
		for _, p := range q["password"] {
			if p != "" {
				secrets = append(secrets, p)
			}
		}
	}
	for _, s := range secrets {
		msg = strings.ReplaceAll(msg, s, "xxxxx")
	}
	return msg
}
