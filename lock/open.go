package lock

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/batonlock/baton/internal/lockopt"
)

// Schemes returns the registered URL schemes, sorted. Drivers register theirs when imported.
func Schemes() []string { return lockopt.Schemes() }

// Open opens the backend that rawURL names, such as "local://" or
// "redis://127.0.0.1:6379/0?prefix=orders:". The scheme picks the driver, which must have
// been registered (import it, e.g. _ "github.com/batonlock/baton/lock/local"). The query keys
// timeout and blocking (Go durations; blocking also takes "forever") set the defaults of
// every lock the backend makes. A malformed URL, an unknown scheme or a bad value is an
// ErrInvalid error; passwords never appear in errors.
func Open(ctx context.Context, rawURL string) (Backend, error) {
	return openWith(ctx, rawURL, lockopt.Default())
}

func openWith(ctx context.Context, rawURL string, defaults lockopt.Options) (Backend, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		if strings.Contains(rawURL, "@") {
			// The parser's detail may quote part of a password: an unescaped '/', '?' or
			// '#' in it ends the userinfo early, and the rest reads as a host and port.
			return nil, invalidf("malformed backend URL (the parser's message is withheld, as it may quote a password): escape '/', '?', '#' and '@' in the userinfo")
		}
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // url.Error repeats the URL
		}
		return nil, invalidf("malformed backend URL: %v", err)
	}
	if u.Scheme == "" {
		return nil, invalidf("backend URL %q has no scheme (registered: %s)", lockopt.Redact(u), strings.Join(Schemes(), ", "))
	}
	scheme := strings.ToLower(u.Scheme)
	open, _ := lockopt.Opener(scheme).(func(context.Context, *url.URL, lockopt.Options) (Backend, error))
	if open == nil {
		return nil, invalidf("unknown backend scheme %q (registered: %s; drivers register when imported)",
			scheme, strings.Join(Schemes(), ", "))
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, invalidf("malformed query in backend URL %q: %v", lockopt.Redact(u), err)
	}
	if defaults.Timeout, err = lockopt.PopDuration(q, "timeout", defaults.Timeout); err != nil {
		return nil, err
	}
	if defaults.Blocking, err = lockopt.PopDuration(q, "blocking", defaults.Blocking); err != nil {
		return nil, err
	}
	if err := defaults.Validate(); err != nil {
		return nil, err
	}
	u.RawQuery = q.Encode()
	return open(ctx, u, defaults)
}
