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
