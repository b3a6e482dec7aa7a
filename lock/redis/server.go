package redis

import (
	"context"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/batonlock/baton/internal/redischeck"
	"github.com/batonlock/baton/lock/driver"
)

// serverCheckTimeout bounds New's questions to the server, as New has no ctx (lock.Open's
// are bounded by its ctx instead).
const serverCheckTimeout = 2 * time.Second

// honoursDeadlines refuses a go-redis client whose options lack ContextTimeoutEnabled:
// without it a call on a stalled link ignores its ctx and waits for the ReadTimeout (5s by
// default), so no blocking window, ctx deadline or Release deadline of baton would hold.
// which names the backend (and client) in the error.
func honoursDeadlines(client goredis.UniversalClient, which string) error {
	var enabled bool
	switch c := client.(type) {
	case *goredis.Client:
		enabled = c.Options().ContextTimeoutEnabled
	case *goredis.ClusterClient:
		enabled = c.Options().ContextTimeoutEnabled
	case *goredis.Ring:
		enabled = c.Options().ContextTimeoutEnabled
	default:
		return nil // its options are not visible: New's doc asks for the same
	}
	if !enabled {
		return driver.Invalidf("%s: the client's options lack ContextTimeoutEnabled: "+
			"without it go-redis ignores ctx deadlines, and on a stalled link every Acquire, Release "+
			"and Extend overruns its own by up to the client's ReadTimeout; set ContextTimeoutEnabled: true "+
			"(lock.Open does)", which)
	}
	return nil
}

// checkServer asks every server client sends locks to whether it can serve baton (see
// internal/redischeck) and logs a warning, once, for each whose maxmemory-policy evicts
// keys. A redischeck.Refusal says the server cannot; any other error is one of reaching it.
func checkServer(ctx context.Context, client goredis.UniversalClient, cfg config) error {
	_, sharded := client.(*goredis.ClusterClient)
	reps, err := redischeck.All(ctx, client, redischeck.Needs{Prefix: cfg.prefix, Sharded: sharded})
	redischeck.WarnEviction(cfg.defaults.Log(), reps...)
	return err
}
