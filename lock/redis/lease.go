// The arithmetic of held locks, on one node or a majority (PROTOCOL.md, "Clocks"): when a
// hold counts as lost (its safe deadline), and when its lease is renewed.

package redis

import (
	"time"

	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/driver"
)

// Settings are the options the Redis backends have in common.
type settings struct {
	prefix        string
	lease         time.Duration
	renewFraction float64
	drift         time.Duration // < 0: automatic, 2ms + 1% of the TTL
	defaults      driver.Options
}

// Default returns the defaults written on the backends' options.
func defaultSettings() settings {
	return settings{
		prefix:        DefaultPrefix,
		lease:         DefaultLease,
		renewFraction: DefaultRenewFraction,
		drift:         -1,
		defaults:      driver.DefaultOptions(),
	}
}

// Validate checks the settings; backend names the backend in the error.
func (s settings) check(backend string) error {
	switch {
	case s.lease < lock.MinLease:
		return driver.Invalidf("%s backend: lease %v is shorter than lock.MinLease (%v): renewed every third of it, it would be lost at the first slow round trip or pause", backend, s.lease, lock.MinLease)
	case !(s.renewFraction > 0 && s.renewFraction <= 0.5):
		return driver.Invalidf("%s backend: renew fraction %v is not in (0, 0.5]", backend, s.renewFraction)
	case s.drift >= s.lease:
		return driver.Invalidf("%s backend: drift margin %v is not shorter than the lease %v", backend, s.drift, s.lease)
	}
	return s.defaults.Validate()
}

// Margin is how much before the server's expiry of a ttl-long hold it counts as lost: the
// drift margin (Redlock's 2ms + 1% of the TTL by default), never more than half the TTL.
func (s settings) margin(ttl time.Duration) time.Duration {
	m := s.drift
	if m < 0 {
		m = 2*time.Millisecond + ttl/100
	}
	return min(m, ttl/2)
}

// Deadline is the safe deadline of a ttl-long hold whose SET or PEXPIRE was sent at sent:
// the hold counts as lost then, before the key can expire on the server.
func (s settings) deadline(sent time.Time, ttl time.Duration) time.Time {
	return sent.Add(ttl - s.margin(ttl))
}

// RenewEvery is how long after a successful SET or PEXPIRE was sent the next renewal of a
// lease is due.
func (s settings) renewEvery(lease time.Duration) time.Duration {
	return max(time.Duration(float64(lease)*s.renewFraction), time.Millisecond)
}

// NextRenewal is how long from now the next renewal is due, counted from when the last
// successful request was sent (not from when its reply came): a slow reply must not push the
// renewal past the deadline, which also counts from the sending.
func (s settings) nextRenewal(lease time.Duration, sent time.Time) time.Duration {
	return max(s.renewEvery(lease)-time.Since(sent), 0)
}
