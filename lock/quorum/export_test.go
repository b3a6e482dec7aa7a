package quorum

import (
	"net/url"

	goredis "github.com/redis/go-redis/v9"

	"github.com/batonlock/baton/lock/driver"
)

// DeadlinesHonoured reports, for each node's client that a redis+quorum:// URL makes,
// whether it has ContextTimeoutEnabled.
func DeadlinesHonoured(raw string) ([]bool, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	clients, _, err := parseURL(u, driver.DefaultOptions())
	if err != nil {
		return nil, err
	}
	var on []bool
	for _, c := range clients {
		cc, ok := c.(*goredis.Client)
		on = append(on, ok && cc.Options().ContextTimeoutEnabled)
		_ = c.Close()
	}
	return on, nil
}
