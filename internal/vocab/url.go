package vocab

import (
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/batonlock/baton/lock/driver"
)

// GoRedisKeys is what a Redis backend adds to its known query keys: the rest of the query
// goes to go-redis, whose options are too many, and too version-dependent, to list.
const GoRedisKeys = "the options of go-redis's ParseURL"

// UnknownKeys is the lock.ErrInvalid error of a backend URL u whose query has keys that no
// one takes. known are the keys the backend takes (and, last, what else it passes on, such
// as GoRedisKeys). The keys are sorted, so the message is the same on every run.
func UnknownKeys(u *url.URL, keys []string, known ...string) error {
	keys = slices.Sorted(slices.Values(keys))
	quoted := make([]string, len(keys))
	for i, k := range keys {
		quoted[i] = strconv.Quote(k)
	}
	what := "unknown query key"
	if len(keys) > 1 {
		what += "s"
	}
	return driver.Invalidf("backend URL %q: %s %s (known: %s)", driver.Redact(u), what, strings.Join(quoted, ", "), strings.Join(known, ", "))
}

// poolCounts are go-redis's query keys for pool sizes, which it does not range-check: a
// negative value or one past an int32 panics in its NewClient.
var poolCounts = []string{"pool_size", "min_idle_conns", "max_idle_conns", "max_active_conns", "max_concurrent_dials"}

// maxPoolCount bounds them: far more connections than any server accepts by default.
const maxPoolCount = 1 << 20

// PoolCounts returns the lock.ErrInvalid error of a backend URL u whose query q gives a
// go-redis pool size that is negative or absurdly large (past maxPoolCount), or nil.
// Values that are not integers are left for go-redis to refuse.
func PoolCounts(u *url.URL, q url.Values) error {
	for _, key := range poolCounts {
		for _, v := range q[key] {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil && (n < 0 || n > maxPoolCount) {
				return driver.Invalidf("backend URL %q: query key %s is %d: want 0 to %d", driver.Redact(u), key, n, maxPoolCount)
			}
		}
	}
	return nil
}
