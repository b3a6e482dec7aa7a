package redis

import (
	"net/url"

	goredis "github.com/redis/go-redis/v9"

	"github.com/batonlock/baton/lock/driver"
)

// ParseClusterURL parses a redis+cluster:// URL as lock.Open would, without connecting.
func ParseClusterURL(raw string) (*goredis.ClusterOptions, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	_, co, err := parseClusterURL(u, driver.DefaultOptions())
	return co, err
}

// ParseSentinelURL parses a redis+sentinel:// URL as lock.Open would, without connecting.
func ParseSentinelURL(raw string) (*goredis.FailoverOptions, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	_, fo, err := parseSentinelURL(u, driver.DefaultOptions())
	return fo, err
}
