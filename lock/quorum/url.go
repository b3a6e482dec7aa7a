package quorum

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
	"github.com/batonlock/baton/lock/redis"
)

func init() {
	driver.Register("redis+quorum", openURL)
	driver.Register("rediss+quorum", openURL)
}

// openURL is the driver.Opener of redis+quorum:// URLs:
//
//	redis+quorum://[user:pass@]host1:port1,host2:port2,host3:port3[/db]?prefix=..&lease=..
//
// Every node gets the same user, password, database and go-redis query keys (dial_timeout,
// read_timeout, ...; rediss+quorum:// for TLS). Baton's own keys are prefix, lease and
// node_timeout. The backend pings the nodes and needs a majority to answer; it owns the
// clients.
func openURL(ctx context.Context, u *url.URL, defaults driver.Options) (lock.Backend, error) {
	clients, opts, err := parseURL(u, defaults)
	if err != nil {
		return nil, err
	}
	b, err := redis.OpenQuorum(ctx, clients, opts...)
	if errors.Is(err, lock.ErrInvalid) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("quorum backend %q: %w", driver.Redact(u), errors.New(driver.Scrub(err.Error(), u)))
	}
	return b, nil
}

func parseURL(u *url.URL, defaults driver.Options) ([]goredis.UniversalClient, []redis.Option, error) {
	where := driver.Redact(u)
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, nil, driver.Invalidf("malformed query in backend URL %q: %v", where, err)
	}
	opts := []redis.Option{redis.WithDefaults(defaults)}
	if prefix, ok, err := driver.PopString(q, "prefix"); err != nil {
		return nil, nil, err
	} else if ok {
		opts = append(opts, redis.WithPrefix(prefix))
	}
	lease, err := driver.PopDuration(q, "lease", DefaultLease)
	if err != nil {
		return nil, nil, err
	}
	nodeTimeout, err := driver.PopDuration(q, "node_timeout", DefaultNodeTimeout)
	if err != nil {
		return nil, nil, err
	}
	opts = append(opts, redis.WithLease(lease), redis.WithNodeTimeout(nodeTimeout))
	if err := vocab.PoolCounts(u, q); err != nil {
		return nil, nil, err
	}

	if u.Host == "" {
		return nil, nil, driver.Invalidf("backend URL %q: no nodes (want host1:port1,host2:port2,...)", where)
	}
	scheme, _, _ := strings.Cut(strings.ToLower(u.Scheme), "+")
	var ropts []*goredis.Options
	seen := make(map[string]bool)
	for _, host := range strings.Split(u.Host, ",") {
		if host == "" {
			return nil, nil, driver.Invalidf("backend URL %q: an empty node in the host list", where)
		}
		one := url.URL{Scheme: scheme, User: u.User, Host: host, Path: u.Path, RawQuery: q.Encode()}
		o, err := goredis.ParseURL(one.String())
		if err != nil {
			msg := strings.TrimPrefix(driver.Scrub(err.Error(), u), "redis: ")
			if keys, ok := strings.CutPrefix(msg, "unexpected option: "); ok {
				return nil, nil, vocab.UnknownKeys(u, strings.Split(keys, ", "), "blocking", "lease", "node_timeout", "prefix", "timeout", vocab.GoRedisKeys)
			}
			return nil, nil, driver.Invalidf("backend URL %q: %s", where, msg)
		}
		// One server spelled two ways ("h", "h:6379", "H:6379") must not count twice.
		addr := strings.ToLower(o.Addr)
		if seen[addr] {
			return nil, nil, driver.Invalidf("backend URL %q: node %s is listed twice", where, host)
		}
		seen[addr] = true
		// Without it a call on a stalled link ignores its ctx (and so the node timeout)
		// until the read timeout.
		o.ContextTimeoutEnabled = true
		ropts = append(ropts, o)
	}
	clients := make([]goredis.UniversalClient, len(ropts))
	for i, o := range ropts {
		clients[i] = goredis.NewClient(o)
	}
	return clients, opts, nil
}
