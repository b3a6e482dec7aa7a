package redis

import (
	"log/slog"
	"time"

	"github.com/batonlock/baton/lock/driver"
)

// Defaults of the options below.
const (
	DefaultPrefix        = "baton:"
	DefaultLease         = 30 * time.Second
	DefaultRenewFraction = 1.0 / 3
	DefaultNodeTimeout   = time.Second
)

// Option configures a Backend made by New, or a Quorum made by NewQuorum.
type Option func(*config)

// config is the options of a backend: those of the hold arithmetic (lease.go), the
// defaults of its locks, and the node timeout.
type config struct {
	prefix        string
	lease         time.Duration
	renewFraction float64
	drift         time.Duration // < 0: automatic, 2ms + 1% of the TTL
	defaults      driver.Options
	nodeTimeout   time.Duration // each call to one node of a Quorum
}

// defaultConfig returns the defaults written on the options below.
func defaultConfig() config {
	return config{
		prefix:        DefaultPrefix,
		lease:         DefaultLease,
		renewFraction: DefaultRenewFraction,
		drift:         -1,
		defaults:      driver.DefaultOptions(),
		nodeTimeout:   DefaultNodeTimeout,
	}
}

// WithPrefix puts every key and channel of the backend under prefix (default "baton:"), so
// that services sharing a server keep their lock names apart.
func WithPrefix(prefix string) Option { return func(c *config) { c.prefix = prefix } }

// WithLease sets the lease of holds that have no timeout (default 30s): the TTL the key gets
// and is renewed to while the hold lasts. A process that dies keeps the lock at most this long.
func WithLease(d time.Duration) Option { return func(c *config) { c.lease = d } }

// WithRenewFraction sets how often a lease is renewed, as a fraction of it (default 1/3:
// every 10s for a 30s lease). It must be in (0, 0.5].
func WithRenewFraction(f float64) Option { return func(c *config) { c.renewFraction = f } }

// WithDriftMargin sets how much earlier than the server's expiry a hold counts as lost, to
// cover clocks that run at different rates. The default is 2ms plus 1% of the hold's TTL
// (Redlock's rule). A margin is never more than half the TTL.
func WithDriftMargin(d time.Duration) Option { return func(c *config) { c.drift = d } }

// WithDefaults sets the options every lock of the backend starts from (default
// driver.DefaultOptions(): no timeout, wait forever); NewLock's options apply on top.
func WithDefaults(o driver.Options) Option { return func(c *config) { c.defaults = o } }

// WithLogger sends the log records of every lock (lost holds, backend errors) to l
// (default slog.Default()). It is the same as lock.WithLogger on every NewLock.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.defaults.Logger = l } }

// WithNodeTimeout bounds each call to one node of a Quorum (default 1s); New ignores it. A
// call never waits for it when a majority has already answered: it bounds the work left in
// the background, and how long a node that does not answer delays a call that needs it for
// a majority.
func WithNodeTimeout(d time.Duration) Option { return func(c *config) { c.nodeTimeout = d } }

// configure applies opts to the defaults and checks the result for a backend of kind
// ("redis" or "quorum"): bad options are a lock.ErrInvalid error that names the backend.
func configure(kind string, opts []Option) (config, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if o == nil {
			return config{}, driver.Invalidf("%s backend: nil Option", kind)
		}
		o(&cfg)
	}
	if kind == "quorum" && cfg.nodeTimeout <= 0 {
		return config{}, driver.Invalidf("quorum backend: node timeout %v is not positive", cfg.nodeTimeout)
	}
	return cfg, cfg.check(kind)
}
