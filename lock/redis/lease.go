// The arithmetic of held locks, on one node or a majority (PROTOCOL.md, "Clocks"): when a
// hold counts as lost (its safe deadline), and when its lease is renewed.

package redis

import (
	"time"

	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/driver"
)

// check checks the options of the hold arithmetic; backend names the backend in the error.
func (c config) check(backend string) error {
	switch {
	case c.lease < lock.MinLease:
		return driver.Invalidf("%s backend: lease %v is shorter than lock.MinLease (%v): renewed every third of it, it would be lost at the first slow round trip or pause", backend, c.lease, lock.MinLease)
	case !(c.renewFraction > 0 && c.renewFraction <= 0.5):
		return driver.Invalidf("%s backend: renew fraction %v is not in (0, 0.5]", backend, c.renewFraction)
	case c.drift >= c.lease:
		return driver.Invalidf("%s backend: drift margin %v is not shorter than the lease %v", backend, c.drift, c.lease)
	}
	return c.defaults.Validate()
}

// Margin is how much before the server's expiry of a ttl-long hold it counts as lost: the
// drift margin (Redlock's 2ms + 1% of the TTL by default), never more than half the TTL.
func (c config) margin(ttl time.Duration) time.Duration {
	m := c.drift
	if m < 0 {
		m = 2*time.Millisecond + ttl/100
	}
	return min(m, ttl/2)
}

// Deadline is the safe deadline of a ttl-long hold whose SET or PEXPIRE was sent at sent:
// the hold counts as lost then, before the key can expire on the server.
func (c config) deadline(sent time.Time, ttl time.Duration) time.Time {
	return sent.Add(ttl - c.margin(ttl))
}

// RenewEvery is how long after a successful SET or PEXPIRE was sent the next renewal of a
// lease is due.
func (c config) renewEvery(lease time.Duration) time.Duration {
	return max(time.Duration(float64(lease)*c.renewFraction), time.Millisecond)
}

// NextRenewal is how long from now the next renewal is due, counted from when the last
// successful request was sent (not from when its reply came): a slow reply must not push the
// renewal past the deadline, which also counts from the sending.
func (c config) nextRenewal(lease time.Duration, sent time.Time) time.Duration {
	return max(c.renewEvery(lease)-time.Since(sent), 0)
}
