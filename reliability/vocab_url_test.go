package reliability_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
	_ "github.com/batonlock/baton/lock/local"
	_ "github.com/batonlock/baton/lock/quorum"
	_ "github.com/batonlock/baton/lock/redis"
)

// TestUnknownKeyReadsTheSame: a URL whose query has keys no one takes fails the same way
// on every scheme: the URL (password masked), every unknown key, sorted and quoted, and
// the keys the backend knows, in one format. Nothing is dialled: the query is checked first.
func TestUnknownKeyReadsTheSame(t *testing.T) {
	const goRedis = ", the options of go-redis's ParseURL"
	for _, c := range []struct{ url, known string }{
		{"local://?size=2&colour=blue", "blocking, lease, prefix, timeout"},
		{"redis://:pw@" + nowhere + "/0?size=2&colour=blue", "blocking, lease, prefix, timeout" + goRedis},
		{"unix:///nonexistent/baton.sock?size=2&colour=blue", "blocking, lease, prefix, timeout" + goRedis},
		{"redis+cluster://" + nowhere + "?size=2&colour=blue", "blocking, lease, prefix, timeout" + goRedis},
		{"redis+sentinel://" + nowhere + "?master_name=m&size=2&colour=blue", "blocking, lease, prefix, timeout" + goRedis},
		{"redis+quorum://" + nowhere + ",127.0.0.1:2,127.0.0.1:3/0?size=2&colour=blue",
			"blocking, lease, node_timeout, prefix, timeout" + goRedis},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		b, err := lock.Open(ctx, c.url)
		cancel()
		if b != nil {
			_ = b.Close()
		}
		require.ErrorIs(t, err, lock.ErrInvalid, c.url)
		shape := regexp.MustCompile(`^lock: invalid argument: backend URL "[^"]+": unknown query keys "colour", "size" \(known: ` +
			regexp.QuoteMeta(c.known) + `\)$`)
		assert.Regexp(t, shape, err.Error(), c.url)
		assert.NotContains(t, err.Error(), ":pw@", c.url)
	}
}

// TestURLErrorsNameTheURLAlike: whatever else is wrong with a URL, every scheme's error
// names it the same way, as the backend URL, password masked.
func TestURLErrorsNameTheURLAlike(t *testing.T) {
	for _, raw := range []string{
		"local://:pw@host/",
		"redis+cluster://:pw@/0",
		"redis+sentinel://:pw@" + nowhere + "/0",
		"redis+sentinel://:pw@" + nowhere + "/0?master_name=m&route_randomly=true",
		"redis+quorum://:pw@/0",
		"redis+quorum://:pw@" + nowhere + "," + nowhere + "/0",
		"redis://:pw@" + nowhere + "/0?dial_timeout=soon",
	} {
		_, err := lock.Open(context.Background(), raw)
		require.ErrorIs(t, err, lock.ErrInvalid, raw)
		assert.Regexp(t, `^lock: invalid argument: backend URL "[^"]*:xxxxx@[^"]*": `, err.Error(), raw)
	}
}
