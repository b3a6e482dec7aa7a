package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/alicebob/miniredis/v2"
	goredis "github.com/redis/go-redis/v9"

	"github.com/batonlock/baton/bench/scenario"
	"github.com/batonlock/baton/lock"
	_ "github.com/batonlock/baton/lock/local"  // local://
	_ "github.com/batonlock/baton/lock/quorum" // redis+quorum://
	_ "github.com/batonlock/baton/lock/redis"  // redis://, rediss://, unix://
)

// targets are what the scenarios run on, and what must be closed afterwards.
type targets struct {
	list    []scenario.Target
	closers []func() error // closed in reverse order
	notes   []string       // lines for stderr: baselines that could not be added, ...

	bases bases // which target each backend is compared with

	backends map[string]lock.Backend // the backend behind each target that is one, by name
}

// Close closes every backend, client and server that was opened, last opened first.
func (ts *targets) Close() error {
	var errs []error
	for i := len(ts.closers) - 1; i >= 0; i-- {
		errs = append(errs, ts.closers[i]())
	}
	ts.closers = nil
	return errors.Join(errs...)
}

// rawPrefix keeps the raw baseline's keys apart from baton's ("baton:" by default).
const rawPrefix = "lockbench:raw:"

// openTargets opens every backend c asks for, through lock.Open as a service would. On error
// it closes what it opened; the error is one line and holds no password.
func openTargets(ctx context.Context, c config) (*targets, error) {
	ts := &targets{bases: bases{of: map[string]string{}}, backends: map[string]lock.Backend{}}
	if err := ts.open(ctx, c); err != nil {
		_ = ts.Close()
		return nil, err
	}
	return ts, nil
}

func (ts *targets) open(ctx context.Context, c config) error {
	if !c.noLocal {
		if err := ts.addBackend(ctx, "local", "local://"); err != nil {
			return fmt.Errorf("local backend: %w", err)
		}
	}
	ts.addMutex(c)
	if !c.noMiniredis {
		m := miniredis.NewMiniRedis()
		m.ClockTTL(true) // TTLs follow the wall clock, so fight8-timed's keys expire as on a server
		if err := m.StartAddr("127.0.0.1:0"); err != nil {
			return fmt.Errorf("cannot start the embedded miniredis: %w", err)
		}
		ts.closers = append(ts.closers, func() error { m.Close(); return nil })
		if err := ts.addRedis(ctx, "miniredis", "redis://"+m.Addr()+"/0", c.baseline); err != nil {
			return fmt.Errorf("embedded miniredis: %w", err)
		}
	}
	for _, raw := range c.urls {
		name := redacted(raw)
		if err := ts.addRedis(ctx, name, raw, c.baseline); err != nil {
			if strings.Contains(err.Error(), name) {
				return fmt.Errorf("-url: %w", err) // the driver's error names the URL already
			}
			return fmt.Errorf("-url %s: %w", name, err)
		}
	}
	return ts.addPermits(ctx, c)
}

// addMutex adds sync.Mutex, when c asks for baselines: local's baseline and, with its
// fight8 (the workers in one process), the baseline of every fight between backends.
func (ts *targets) addMutex(c config) {
	fights := slices.Contains(c.scenarios, "fight8") || slices.Contains(c.scenarios, "fight8-timed")
	if !c.baseline || c.noLocal && !fights {
		return
	}
	t := scenario.SyncMutex()
	ts.list = append(ts.list, t)
	ts.bases.mutex = t.Name
	if !c.noLocal {
		ts.bases.of["local"] = t.Name
	}
}

// addRedis adds the backend that rawURL names and, when baseline is set and the URL is one
// go-redis understands, the raw go-redis baseline on the same server.
func (ts *targets) addRedis(ctx context.Context, name, rawURL string, baseline bool) error {
	if err := ts.addBackend(ctx, name, rawURL); err != nil {
		return err
	}
	u, _ := url.Parse(rawURL) // lock.Open parsed it already
	if strings.EqualFold(u.Scheme, "local") {
		// A second local:// backend shares nothing with the first: handoff2 and fight8 on it
		// would count the two independent holders as overlaps.
		return nil
	}
	// handoff2's B: a second backend on the same server, with its own connections.
	peer, err := lock.Open(ctx, rawURL)
	if err != nil {
		return err
	}
	ts.closers = append(ts.closers, peer.Close)
	ts.list[len(ts.list)-1].Peer = scenario.Backend(name, peer).New
	// fight8's 8 processes: backends opened for the fight, closed after it.
	ts.list[len(ts.list)-1].Fleet = scenario.BackendFleet(func(ctx context.Context) (lock.Backend, error) {
		return lock.Open(ctx, rawURL)
	})
	if !baseline {
		return nil
	}
	switch strings.ToLower(u.Scheme) {
	case "redis", "rediss", "unix":
	default:
		ts.notes = append(ts.notes, fmt.Sprintf("no raw go-redis baseline for %s (not a redis://, rediss:// or unix:// URL)", name))
		return nil
	}
	client, err := rawClient(u)
	if err != nil {
		return fmt.Errorf("raw baseline: %w", err)
	}
	ts.closers = append(ts.closers, client.Close)
	if err := client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("raw baseline: cannot reach the server: %s", scrub(err.Error(), u))
	}
	peerClient, err := rawClient(u)
	if err != nil {
		return fmt.Errorf("raw baseline: %w", err)
	}
	ts.closers = append(ts.closers, peerClient.Close)
	t := scenario.RawRedis(client, rawPrefix)
	t.Name = "raw@" + name // no spaces: the table splits on them
	t.Peer = scenario.RawRedis(peerClient, rawPrefix).New
	t.Fleet = scenario.RawFleet(func() (goredis.UniversalClient, error) { return rawClient(u) }, rawPrefix)
	ts.list = append(ts.list, t)
	ts.bases.of[name] = t.Name
	return nil
}

// addBackend opens rawURL with lock.Open and adds it as a target called name.
func (ts *targets) addBackend(ctx context.Context, name, rawURL string) error {
	b, err := lock.Open(ctx, rawURL)
	if err != nil {
		return err
	}
	ts.closers = append(ts.closers, b.Close)
	ts.list = append(ts.list, scenario.Backend(name, b))
	ts.backends[name] = b
	return nil
}

// rawClient makes the go-redis client of the baseline from the URL baton was given: the same
// server, database and client options, without baton's own query keys.
func rawClient(u *url.URL) (*goredis.Client, error) {
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, err
	}
	for _, k := range []string{"prefix", "lease", "timeout", "blocking"} {
		q.Del(k)
	}
	r := *u
	r.RawQuery = q.Encode()
	opts, err := goredis.ParseURL(r.String())
	if err != nil {
		return nil, errors.New(scrub(err.Error(), u))
	}
	return goredis.NewClient(opts), nil
}

// redacted returns rawURL fit to print: without its password (in the user info or in the
// query), or a placeholder when it does not parse.
func redacted(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(malformed URL)"
	}
	if q, err := url.ParseQuery(u.RawQuery); err == nil && q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// scrub masks u's passwords in msg.
func scrub(msg string, u *url.URL) string {
	if p, ok := u.User.Password(); ok && p != "" {
		msg = strings.ReplaceAll(msg, p, "xxxxx")
	}
	if q, err := url.ParseQuery(u.RawQuery); err == nil {
		for _, p := range q["password"] {
			if p != "" {
				msg = strings.ReplaceAll(msg, p, "xxxxx")
			}
		}
	}
	return msg
}
