// Package lease is what baton's two Redis backends (lock/redis and lock/quorum) share of a
// lock handle: the arithmetic of leased holds (when a hold counts as lost, its safe
// deadline, and when its lease is renewed), and the handle's holds themselves (Handle,
// Hold): their renewal and expiry timers, their loss, and the handle methods that only read
// or extend them. Each backend brings its server calls and its own bookkeeping. Keeping
// this in one place keeps the single-server and quorum backends from drifting apart.
package lease

import (
	"time"

	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/driver"
)

// Defaults of the settings.
const (
	DefaultPrefix        = "baton:"
	DefaultLease         = 30 * time.Second
	DefaultRenewFraction = 1.0 / 3
)

// Settings are the options the Redis backends have in common.
type Settings struct {
	Prefix        string
	Lease         time.Duration
	RenewFraction float64
	Drift         time.Duration // < 0: automatic, 2ms + 1% of the TTL
	Defaults      driver.Options
}

// Default returns the defaults written on the backends' options.
func Default() Settings {
	return Settings{
		Prefix:        DefaultPrefix,
		Lease:         DefaultLease,
		RenewFraction: DefaultRenewFraction,
		Drift:         -1,
		Defaults:      driver.DefaultOptions(),
	}
}

// Validate checks the settings; backend names the backend in the error.
func (s Settings) Validate(backend string) error {
	switch {
	case s.Lease < lock.MinLease:
		return driver.Invalidf("%s backend: lease %v is shorter than lock.MinLease (%v): renewed every third of it, it would be lost at the first slow round trip or pause", backend, s.Lease, lock.MinLease)
	case !(s.RenewFraction > 0 && s.RenewFraction <= 0.5):
		return driver.Invalidf("%s backend: renew fraction %v is not in (0, 0.5]", backend, s.RenewFraction)
	case s.Drift >= s.Lease:
		return driver.Invalidf("%s backend: drift margin %v is not shorter than the lease %v", backend, s.Drift, s.Lease)
	}
	return s.Defaults.Validate()
}

// Margin is how much before the server's expiry of a ttl-long hold it counts as lost: the
// drift margin (Redlock's 2ms + 1% of the TTL by default), never more than half the TTL.
func (s Settings) Margin(ttl time.Duration) time.Duration {
	m := s.Drift
	if m < 0 {
		m = 2*time.Millisecond + ttl/100
	}
	return min(m, ttl/2)
}

// Deadline is the safe deadline of a ttl-long hold whose SET or PEXPIRE was sent at sent:
// the hold counts as lost then, before the key can expire on the server.
func (s Settings) Deadline(sent time.Time, ttl time.Duration) time.Time {
	return sent.Add(ttl - s.Margin(ttl))
}

// RenewEvery is how long after a successful SET or PEXPIRE was sent the next renewal of a
// lease is due.
func (s Settings) RenewEvery(lease time.Duration) time.Duration {
	return max(time.Duration(float64(lease)*s.RenewFraction), time.Millisecond)
}

// NextRenewal is how long from now the next renewal is due, counted from when the last
// successful request was sent (not from when its reply came): a slow reply must not push the
// renewal past the deadline, which also counts from the sending.
func (s Settings) NextRenewal(lease time.Duration, sent time.Time) time.Duration {
	return max(s.RenewEvery(lease)-time.Since(sent), 0)
}
