package quorum

import (
	"log/slog"
	"time"

	"github.com/batonlock/baton/lock"
)

// Defaults of the options below.
const (
	DefaultPrefix        = "baton:"
	DefaultLease         = 30 * time.Second
	DefaultRenewFraction = 1.0 / 3
	DefaultNodeTimeout   = time.Second
)

// Option configures a Backend made by New.
type Option func(*config)

type config struct {
	prefix        string
	lease         time.Duration
	renewFraction float64
	drift         time.Duration // < 0: automatic (see WithDriftMargin)
	nodeTimeout   time.Duration
	defaults      lock.Options
}

func defaultConfig() config {
	return config{
		prefix:        DefaultPrefix,
		lease:         DefaultLease,
		renewFraction: DefaultRenewFraction,
		drift:         -1,
		nodeTimeout:   DefaultNodeTimeout,
		defaults:      lock.DefaultOptions(),
	}
}

// WithPrefix puts every key and channel of the backend under prefix (default "baton:").
func WithPrefix(prefix string) Option { return func(c *config) { c.prefix = prefix } }

// WithLease sets the lease of holds that have no timeout (default 30s): the TTL the keys get
// and are renewed to while the hold lasts. A process that dies keeps the lock at most this long.
func WithLease(d time.Duration) Option { return func(c *config) { c.lease = d } }

// WithRenewFraction sets how often a lease is renewed, as a fraction of it (default 1/3).
// It must be in (0, 0.5].
func WithRenewFraction(f float64) Option { return func(c *config) { c.renewFraction = f } }

// WithDriftMargin sets how much earlier than the nodes' expiry a hold counts as lost, to
// cover clocks that run at different rates. The default is 2ms plus 1% of the hold's TTL
// (Redlock's rule). A margin is never more than half the TTL.
func WithDriftMargin(d time.Duration) Option { return func(c *config) { c.drift = d } }

// WithNodeTimeout bounds each call to one node (default 1s). A call never waits for it when
// a majority has already answered: it bounds the work left in the background, and how long
// a node that does not answer delays a call that needs it for a majority.
func WithNodeTimeout(d time.Duration) Option { return func(c *config) { c.nodeTimeout = d } }

// WithDefaults sets the options every lock of the backend starts from (default
// lock.DefaultOptions(): no timeout, wait forever); NewLock's options apply on top.
func WithDefaults(o lock.Options) Option { return func(c *config) { c.defaults = o } }

// WithLogger sends the log records of every lock (lost holds, node errors) to l (default
// slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.defaults.Logger = l } }

func (c config) validate() error {
	switch {
	case c.lease < time.Millisecond:
		return lock.Invalidf("quorum backend: lease %v is shorter than 1ms", c.lease)
	case !(c.renewFraction > 0 && c.renewFraction <= 0.5):
		return lock.Invalidf("quorum backend: renew fraction %v is not in (0, 0.5]", c.renewFraction)
	case c.drift >= c.lease:
		return lock.Invalidf("quorum backend: drift margin %v is not shorter than the lease %v", c.drift, c.lease)
	case c.nodeTimeout <= 0:
		return lock.Invalidf("quorum backend: node timeout %v is not positive", c.nodeTimeout)
	}
	return c.defaults.Validate()
}

// margin is how much before the nodes' expiry of a ttl-long hold it counts as lost.
func (c config) margin(ttl time.Duration) time.Duration {
	m := c.drift
	if m < 0 {
		m = 2*time.Millisecond + ttl/100
	}
	return min(m, ttl/2)
}
