package lock

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"sort"
	"strings"

	"github.com/batonlock/baton/internal/lockopt"
)

// DefaultEnv is the environment variable OpenEnv reads when given no name.
const DefaultEnv = "BATON_LOCK_URL"

// Config is baton's section of a service's configuration file. Every field but URL is
// optional and overrides nothing: a key may be set in the URL's query or here, not both.
// Durations use Go syntax ("30s", "1m30s"); Blocking also takes "forever".
//
// JSON decoding rejects unknown keys with an ErrInvalid error naming them. With YAML, decode
// using a decoder that rejects unknown fields (go.yaml.in/yaml/v3's KnownFields(true)).
type Config struct {
	// URL picks the backend: "local://", "redis://host:6379/0", ... (required).
	URL string `json:"url" yaml:"url"`
	// Prefix is put before every key in a shared backend (Redis default "baton:"; the local
	// backend accepts and ignores it, so one configuration serves both).
	Prefix string `json:"prefix,omitempty" yaml:"prefix,omitempty"`
	// Lease is how long a hold without timeout is kept alive between renewals (Redis default
	// 30s; the local backend needs no lease and ignores it).
	Lease string `json:"lease,omitempty" yaml:"lease,omitempty"`
	// Timeout is every lock's default WithTimeout (default: none, held until Release).
	Timeout string `json:"timeout,omitempty" yaml:"timeout,omitempty"`
	// Blocking is every lock's default WithBlocking (default: forever).
	Blocking string `json:"blocking,omitempty" yaml:"blocking,omitempty"`
}

// UnmarshalJSON decodes a Config, rejecting unknown keys with an ErrInvalid error that names
// them (a typo in a lock setting should stop the service, not be ignored).
func (c *Config) UnmarshalJSON(data []byte) error {
	type plain Config
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p plain
	if err := dec.Decode(&p); err != nil {
		return invalidf("lock config: %v", err)
	}
	*c = Config(p)
	return nil
}

// String returns the configuration with any password in the URL masked.
func (c Config) String() string {
	u := c.URL
	if parsed, err := url.Parse(u); err == nil {
		u = lockopt.Redact(parsed)
	} else {
		u = "(malformed URL)"
	}
	return "lock.Config{url: " + u + ", prefix: " + c.Prefix + ", lease: " + c.Lease +
		", timeout: " + c.Timeout + ", blocking: " + c.Blocking + "}"
}

// LogValue makes log/slog show the Config as String does, with any password in the URL
// masked: logging a Config with slog's handlers would otherwise print its URL as it is.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// OpenConfig opens the backend a Config describes. The fields are merged into the URL's
// query, so they are validated exactly as URL keys are; a key set in both places, a bad value
// or a missing URL is an ErrInvalid error naming it.
func OpenConfig(ctx context.Context, cfg Config) (Backend, error) {
	if strings.TrimSpace(cfg.URL) == "" {
		return nil, invalidf("lock config: url is empty")
	}
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return Open(ctx, cfg.URL) // reports the malformed URL without its password
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, invalidf("malformed query in backend URL %q: %v", lockopt.Redact(u), err)
	}
	fields := map[string]string{"prefix": cfg.Prefix, "lease": cfg.Lease, "timeout": cfg.Timeout, "blocking": cfg.Blocking}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := fields[k]
		if v == "" {
			continue
		}
		if q.Has(k) {
			return nil, invalidf("lock config: %q is set both in the url and as a field", k)
		}
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	return Open(ctx, u.String())
}

// OpenEnv opens the backend named by the URL in the environment variable env (DefaultEnv
// when env is ""). It fails safe: a variable that is unset or empty is an ErrInvalid error
// naming it, never a quiet fall back to the in-memory backend, because a replica that locks
// only against itself corrupts the data the lock guards. Set it to "local://" for a single
// process (and in tests). A malformed URL is an ErrInvalid error too.
func OpenEnv(ctx context.Context, env string) (Backend, error) {
	if env == "" {
		env = DefaultEnv
	}
	raw, ok := os.LookupEnv(env)
	if !ok || strings.TrimSpace(raw) == "" {
		state := "unset"
		if ok {
			state = "empty"
		}
		return nil, invalidf("environment variable %s is %s: set it to the lock backend's URL "+
			"(\"local://\" for a single process, \"redis://host:6379/0\" for a fleet)", env, state)
	}
	b, err := Open(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", env, err)
	}
	return b, nil
}
