package quorum

import (
	"log/slog"
	"time"

	"github.com/batonlock/baton/internal/lease"
	"github.com/batonlock/baton/lock/driver"
)

// Defaults of the options below.
const (
	DefaultPrefix        = lease.DefaultPrefix
	DefaultLease         = lease.DefaultLease
	DefaultRenewFraction = lease.DefaultRenewFraction
	DefaultNodeTimeout   = time.Second
)

// Option configures a Backend made by New.
type Option func(*config)

// config is the settings both Redis backends share (internal/lease), plus the node timeout.
type config struct {
	lease.Settings
	nodeTimeout time.Duration
}

func defaultConfig() config {
	return config{Settings: lease.Default(), nodeTimeout: DefaultNodeTimeout}
}

// WithPrefix puts every key and channel of the backend under prefix (default "baton:").
func WithPrefix(prefix string) Option { return func(c *config) { c.Prefix = prefix } }

// WithLease sets the lease of holds that have no timeout (default 30s): the TTL the keys get
// and are renewed to while the hold lasts. A process that dies keeps the lock at most this long.
func WithLease(d time.Duration) Option { return func(c *config) { c.Lease = d } }

// WithRenewFraction sets how often a lease is renewed, as a fraction of it (default 1/3).
// It must be in (0, 0.5].
func WithRenewFraction(f float64) Option { return func(c *config) { c.RenewFraction = f } }

// WithDriftMargin sets how much earlier than the nodes' expiry a hold counts as lost, to
// cover clocks that run at different rates. The default is 2ms plus 1% of the hold's TTL
// (Redlock's rule). A margin is never more than half the TTL.
func WithDriftMargin(d time.Duration) Option { return func(c *config) { c.Drift = d } }

// WithNodeTimeout bounds each call to one node (default 1s). A call never waits for it when
// a majority has already answered: it bounds the work left in the background, and how long
// a node that does not answer delays a call that needs it for a majority.
func WithNodeTimeout(d time.Duration) Option { return func(c *config) { c.nodeTimeout = d } }

// WithDefaults sets the options every lock of the backend starts from (default
// driver.DefaultOptions(): no timeout, wait forever); NewLock's options apply on top.
func WithDefaults(o driver.Options) Option { return func(c *config) { c.Defaults = o } }

// WithLogger sends the log records of every lock (lost holds, node errors) to l (default
// slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.Defaults.Logger = l } }

func (c config) validate() error {
	if c.nodeTimeout <= 0 {
		return driver.Invalidf("quorum backend: node timeout %v is not positive", c.nodeTimeout)
	}
	return c.Validate("quorum")
}
