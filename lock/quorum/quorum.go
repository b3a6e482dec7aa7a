package quorum

import (
	"log/slog"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/batonlock/baton/lock/driver"
	"github.com/batonlock/baton/lock/redis"
)

// Backend makes locks that live on a majority of N independent Redis masters: the engine of
// lock/redis over a set of nodes (redis.Quorum).
type Backend = redis.Quorum

// Option configures a Backend made by New: the options of lock/redis.
type Option = redis.Option

// Defaults of the options below.
const (
	DefaultPrefix        = redis.DefaultPrefix
	DefaultLease         = redis.DefaultLease
	DefaultRenewFraction = redis.DefaultRenewFraction
	DefaultNodeTimeout   = redis.DefaultNodeTimeout
)

// New returns a backend whose locks are taken on a majority of clients (redis.NewQuorum):
// make each with ContextTimeoutEnabled, or New returns a lock.ErrInvalid error.
func New(clients []goredis.UniversalClient, opts ...Option) (*Backend, error) {
	return redis.NewQuorum(clients, opts...)
}

// WithPrefix is redis.WithPrefix (default "baton:").
func WithPrefix(prefix string) Option { return redis.WithPrefix(prefix) }

// WithLease is redis.WithLease (default 30s).
func WithLease(d time.Duration) Option { return redis.WithLease(d) }

// WithRenewFraction is redis.WithRenewFraction (default 1/3).
func WithRenewFraction(f float64) Option { return redis.WithRenewFraction(f) }

// WithDriftMargin is redis.WithDriftMargin (default 2ms plus 1% of the hold's TTL).
func WithDriftMargin(d time.Duration) Option { return redis.WithDriftMargin(d) }

// WithNodeTimeout is redis.WithNodeTimeout: it bounds each call to one node (default 1s).
func WithNodeTimeout(d time.Duration) Option { return redis.WithNodeTimeout(d) }

// WithDefaults is redis.WithDefaults (default driver.DefaultOptions()).
func WithDefaults(o driver.Options) Option { return redis.WithDefaults(o) }

// WithLogger is redis.WithLogger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return redis.WithLogger(l) }
