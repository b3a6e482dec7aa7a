package lock

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
)

// Opener opens a backend from a URL whose scheme it was registered for. Open has already
// taken the query keys every backend shares (timeout, blocking) out of u.RawQuery and put
// them in defaults; the opener must reject any key left that it does not know (with
// ErrInvalid naming it) and must never put a password in an error or a log line.
type Opener func(ctx context.Context, u *url.URL, defaults Options) (Backend, error)

var registry struct {
	sync.RWMutex
	openers map[string]Opener
}

// Register makes a driver available under a URL scheme, as database/sql drivers do; drivers
// call it from init. It panics if scheme is empty, opener is nil, or the scheme is taken.
func Register(scheme string, open Opener) {
	scheme = strings.ToLower(scheme)
	if scheme == "" || open == nil {
		panic("lock: Register needs a scheme and an opener")
	}
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.openers[scheme]; dup {
		panic(fmt.Sprintf("lock: Register called twice for scheme %q", scheme))
	}
	if registry.openers == nil {
		registry.openers = make(map[string]Opener)
	}
	registry.openers[scheme] = open
}

// Schemes returns the registered URL schemes, sorted.
func Schemes() []string {
	registry.RLock()
	defer registry.RUnlock()
	s := make([]string, 0, len(registry.openers))
	for k := range registry.openers {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

// Open opens the backend that rawURL names, such as "local://" or
// "redis://127.0.0.1:6379/0?prefix=orders:". The scheme picks the driver, which must have
// been registered (import it, e.g. _ "github.com/batonlock/baton/lock/local"). The query keys
// timeout and blocking (Go durations; blocking also takes "forever") set the defaults of
// every lock the backend makes. A malformed URL, an unknown scheme or a bad value is an
// ErrInvalid error; passwords never appear in errors.
func Open(ctx context.Context, rawURL string) (Backend, error) {
	return openWith(ctx, rawURL, DefaultOptions())
}

func openWith(ctx context.Context, rawURL string, defaults Options) (Backend, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // url.Error repeats the URL, password and all
		}
		return nil, Invalidf("malformed backend URL: %v", err)
	}
	if u.Scheme == "" {
		return nil, Invalidf("backend URL %q has no scheme (registered: %s)", Redact(u), strings.Join(Schemes(), ", "))
	}
	scheme := strings.ToLower(u.Scheme)
	registry.RLock()
	open := registry.openers[scheme]
	registry.RUnlock()
	if open == nil {
		return nil, Invalidf("unknown backend scheme %q (registered: %s; drivers register when imported)",
			scheme, strings.Join(Schemes(), ", "))
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, Invalidf("malformed query in backend URL %q: %v", Redact(u), err)
	}
	if defaults.Timeout, err = PopDuration(q, "timeout", defaults.Timeout); err != nil {
		return nil, err
	}
	if defaults.Blocking, err = PopDuration(q, "blocking", defaults.Blocking); err != nil {
		return nil, err
	}
	if err := defaults.Validate(); err != nil {
		return nil, err
	}
	u.RawQuery = q.Encode()
	return open(ctx, u, defaults)
}

// PopDuration removes key from q and parses its value as a Go duration ("1.5s", "30s"), or
// "forever" for Forever. It returns def when the key is absent, and an ErrInvalid error naming
// the key when the value is malformed or repeated. Drivers use it for their own query keys.
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
