package quorum

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	goredis "github.com/redis/go-redis/v9"

	"github.com/batonlock/baton/internal/redischeck"
	"github.com/batonlock/baton/internal/vocab"
	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/driver"
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
	b, err := New(clients, opts...)
	if err != nil {
		for _, c := range clients {
			_ = c.Close()
		}
		return nil, err
	}
	b.owned = true
	if err := b.ping(ctx); err != nil {
		_ = b.Close()
		return nil, fmt.Errorf("quorum backend %q: %w", driver.Redact(u), errors.New(driver.Scrub(err.Error(), u)))
	}
	if err := b.checkNodes(ctx); err != nil {
		_ = b.Close()
		return nil, fmt.Errorf("quorum backend %q: %w", driver.Redact(u), errors.New(driver.Scrub(err.Error(), u)))
	}
	return b, nil
}

func parseURL(u *url.URL, defaults driver.Options) ([]goredis.UniversalClient, []Option, error) {
	where := driver.Redact(u)
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, nil, driver.Invalidf("malformed query in backend URL %q: %v", where, err)
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
	nodeTimeout, err := driver.PopDuration(q, "node_timeout", DefaultNodeTimeout)
	if err != nil {
		return nil, nil, err
	}
	opts = append(opts, WithLease(lease), WithNodeTimeout(nodeTimeout))

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
		if seen[host] {
			return nil, nil, driver.Invalidf("backend URL %q: node %s is listed twice", where, host)
		}
		seen[host] = true
		one := url.URL{Scheme: scheme, User: u.User, Host: host, Path: u.Path, RawQuery: q.Encode()}
		o, err := goredis.ParseURL(one.String())
		if err != nil {
			msg := strings.TrimPrefix(driver.Scrub(err.Error(), u), "redis: ")
			if keys, ok := strings.CutPrefix(msg, "unexpected option: "); ok {
				return nil, nil, vocab.UnknownKeys(u, strings.Split(keys, ", "), "blocking", "lease", "node_timeout", "prefix", "timeout", vocab.GoRedisKeys)
			}
			return nil, nil, driver.Invalidf("backend URL %q: %s", where, msg)
		}
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

// checkNodes asks every node, each within the node timeout, whether it can serve baton (see
// internal/redischeck): a node too old for the scripts or whose ACL forbids a command baton
// sends is an error; one whose maxmemory-policy evicts keys gets a warning, once. A node
// that does not answer is not judged: the majority that answered the ping suffices.
func (b *Backend) checkNodes(ctx context.Context) error {
	needs := redischeck.Needs{Prefix: b.cfg.Prefix}
	for i, c := range b.clients {
		nctx, cancel := context.WithTimeout(ctx, b.cfg.nodeTimeout)
		rep, err := redischeck.Node(nctx, c, b.addrs[i], needs)
		cancel()
		if redischeck.IsRefusal(err) {
			return err
		}
		redischeck.WarnEviction(b.cfg.Defaults.Log(), rep)
	}
	return nil
}

// ping checks that a majority of the nodes answer.
func (b *Backend) ping(ctx context.Context) error {
	c := b.fanout(func(ctx context.Context, _ int, c goredis.UniversalClient) reply {
		err := c.Ping(ctx).Err()
		return reply{ok: err == nil, err: err}
	}, nil)
	if c == nil {
		return lock.ErrClosed
	}
	oks, fails, err := c.tally(ctx, b.done, len(b.clients), b.quorum)
	if err != nil {
		return err
	}
	if len(oks) < b.quorum {
		return fmt.Errorf("cannot reach a majority of the nodes: %w", errors.Join(nodeErrors(fails)...))
	}
	return nil
}
