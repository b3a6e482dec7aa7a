package redis

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
)

// Option configures a Backend made by New.
type Option func(*config)

// config is the settings both Redis backends share (prefix, lease, renewal, drift, lock
// defaults): the lease arithmetic lives in internal/lease.
type config struct {
	lease.Settings
}

func defaultConfig() config { return config{lease.Default()} }

// WithPrefix puts every key and channel of the backend under prefix (default "baton:"), so
// that services sharing a server keep their lock names apart.
func WithPrefix(prefix string) Option { return func(c *config) { c.Prefix = prefix } }

// WithLease sets the lease of holds that have no timeout (default 30s): the TTL the key gets
// and is renewed to while the hold lasts. A process that dies keeps the lock at most this long.
func WithLease(d time.Duration) Option { return func(c *config) { c.Lease = d } }

// WithRenewFraction sets how often a lease is renewed, as a fraction of it (default 1/3:
// every 10s for a 30s lease). It must be in (0, 0.5].
func WithRenewFraction(f float64) Option { return func(c *config) { c.RenewFraction = f } }

// WithDriftMargin sets how much earlier than the server's expiry a hold counts as lost, to
// cover clocks that run at different rates. The default is 2ms plus 1% of the hold's TTL
// (Redlock's rule). A margin is never more than half the TTL.
func WithDriftMargin(d time.Duration) Option { return func(c *config) { c.Drift = d } }

// WithDefaults sets the options every lock of the backend starts from (default
// driver.DefaultOptions(): no timeout, wait forever); NewLock's options apply on top.
func WithDefaults(o driver.Options) Option { return func(c *config) { c.Defaults = o } }

// WithLogger sends the log records of every lock (lost holds, backend errors) to l
// (default slog.Default()). It is the same as lock.WithLogger on every NewLock.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.Defaults.Logger = l } }

func (c config) validate() error { return c.Validate("redis") }
