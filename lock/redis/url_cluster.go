package redis

import (
	"context"
	"net/url"
	"strings"

	goredis "github.com/redis/go-redis/v9"

	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/driver"
)

func init() {
	for _, scheme := range []string{"redis+cluster", "rediss+cluster"} {
		driver.Register(scheme, openClusterURL)
	}
	for _, scheme := range []string{"redis+sentinel", "rediss+sentinel"} {
		driver.Register(scheme, openSentinelURL)
	}
}

// openClusterURL is the driver.Opener of redis+cluster:// (and rediss+cluster://) URLs:
// redis+cluster://[user:pass@]host:port?addr=host2:port2&addr=... names some of the
// cluster's nodes (the client finds the rest). After baton's own keys are taken out, the
// query goes to go-redis's ParseClusterURL.
func openClusterURL(ctx context.Context, u *url.URL, defaults driver.Options) (lock.Backend, error) {
	opts, co, err := parseClusterURL(u, defaults)
	if err != nil {
		return nil, err
	}
	return openClient(ctx, u, goredis.NewClusterClient(co), opts)
}

// openSentinelURL is the driver.Opener of redis+sentinel:// (and rediss+sentinel://) URLs:
// redis+sentinel://[user:pass@]sentinel:port[/db]?master_name=m&addr=sentinel2:port&...
// names the Sentinels (the user and password in the URL are the Sentinels'; the master's
// are the query keys username and password). After baton's own keys are taken out, the
// query goes to go-redis's ParseFailoverURL; master_name is required.
func openSentinelURL(ctx context.Context, u *url.URL, defaults driver.Options) (lock.Backend, error) {
	opts, fo, err := parseSentinelURL(u, defaults)
	if err != nil {
		return nil, err
	}
	return openClient(ctx, u, goredis.NewFailoverClient(fo), opts)
}

func parseClusterURL(u *url.URL, defaults driver.Options) ([]Option, *goredis.ClusterOptions, error) {
	opts, rest, err := popOwnKeys(u, defaults)
	if err != nil {
		return nil, nil, err
	}
	rest.Scheme = baseScheme(u.Scheme)
	if rest.Host == "" {
		return nil, nil, driver.Invalidf("backend URL %q: no host:port of a cluster node", driver.Redact(u))
	}
	if db := strings.Trim(rest.Path, "/"); db != "" && db != "0" {
		return nil, nil, driver.Invalidf("backend URL %q: a Cluster has only database 0 (path %q)", driver.Redact(u), rest.Path)
	}
	co, err := goredis.ParseClusterURL(rest.String())
	if err != nil {
		return nil, nil, parseError(u, err)
	}
	if co.ReadOnly || co.RouteByLatency || co.RouteRandomly {
		return nil, nil, driver.Invalidf("backend URL %q: locks are taken on the masters: read_only, route_by_latency and route_randomly are not allowed", driver.Redact(u))
	}
	co.ContextTimeoutEnabled = true // see honourDeadlines
	return opts, co, nil
}

func parseSentinelURL(u *url.URL, defaults driver.Options) ([]Option, *goredis.FailoverOptions, error) {
	opts, rest, err := popOwnKeys(u, defaults)
	if err != nil {
		return nil, nil, err
	}
	rest.Scheme = baseScheme(u.Scheme)
	if rest.Host == "" {
		return nil, nil, driver.Invalidf("backend URL %q: no host:port of a Sentinel", driver.Redact(u))
	}
	fo, err := goredis.ParseFailoverURL(rest.String())
	if err != nil {
		return nil, nil, parseError(u, err)
	}
	if fo.MasterName == "" {
		return nil, nil, driver.Invalidf("backend URL %q: query key master_name is required (the name the Sentinels monitor)", driver.Redact(u))
	}
	if fo.RouteByLatency || fo.RouteRandomly || fo.ReplicaOnly {
		return nil, nil, driver.Invalidf("backend URL %q: locks are taken on the master: route_by_latency, route_randomly and replica_only are not allowed", driver.Redact(u))
	}
	fo.ContextTimeoutEnabled = true // see honourDeadlines
	return opts, fo, nil
}

// baseScheme maps redis+cluster to redis and rediss+sentinel to rediss.
func baseScheme(scheme string) string {
	s, _, _ := strings.Cut(strings.ToLower(scheme), "+")
	return s
}
