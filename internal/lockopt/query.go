package lockopt

import (
	"net/url"
	"time"
)

// PopDuration removes key from q and parses its value as a Go duration ("1.5s", "30s"), or
// "forever" for Forever. It returns def when the key is absent, and an ErrInvalid error naming
// the key when the value is malformed or repeated.
func PopDuration(q url.Values, key string, def time.Duration) (time.Duration, error) {
	v, ok, err := PopString(q, key)
	if err != nil || !ok {
		return def, err
	}
	if v == "forever" {
		return Forever, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return def, Invalidf("query key %q: %q is not a duration such as 30s or 1m", key, v)
	}
	return d, nil
}

// PopString removes key from q and returns its value; ok is false when it is absent. A key
// given more than once is an ErrInvalid error.
func PopString(q url.Values, key string) (v string, ok bool, err error) {
	vs, ok := q[key]
	if !ok {
		return "", false, nil
	}
	delete(q, key)
	if len(vs) != 1 {
		return "", false, Invalidf("query key %q given %d times", key, len(vs))
	}
	return vs[0], true, nil
}
