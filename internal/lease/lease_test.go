package lease_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.uber.org/goleak"

	"github.com/batonlock/baton/internal/lease"
	"github.com/batonlock/baton/lock"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestMargin(t *testing.T) {
	s := lease.Default()
	assert.Equal(t, 2*time.Millisecond+300*time.Millisecond, s.Margin(30*time.Second), "2ms + 1%")
	assert.Equal(t, 2*time.Millisecond, s.Margin(4*time.Millisecond), "never more than half the TTL")
	s.Drift = 50 * time.Millisecond
	assert.Equal(t, 50*time.Millisecond, s.Margin(time.Second))
	sent := time.Unix(100, 0)
	assert.Equal(t, sent.Add(950*time.Millisecond), s.Deadline(sent, time.Second))
}

func TestRenewal(t *testing.T) {
	s := lease.Default()
	assert.Equal(t, 10*time.Second, s.RenewEvery(30*time.Second))
	assert.Equal(t, time.Millisecond, s.RenewEvery(time.Microsecond), "at least 1ms")
	next := s.NextRenewal(30*time.Second, time.Now().Add(-4*time.Second))
	assert.InDelta(t, float64(6*time.Second), float64(next), float64(time.Second), "counted from the sending")
	assert.Zero(t, s.NextRenewal(30*time.Second, time.Now().Add(-time.Minute)), "overdue: at once")
}

func TestValidate(t *testing.T) {
	assert.NoError(t, lease.Default().Validate("redis"))
	for _, bad := range []func(*lease.Settings){
		func(s *lease.Settings) { s.Lease = 0 },
		func(s *lease.Settings) { s.Lease = lock.MinLease - time.Millisecond },
		func(s *lease.Settings) { s.Defaults.Timeout = 500 * time.Microsecond },
		func(s *lease.Settings) { s.RenewFraction = 0.6 },
		func(s *lease.Settings) { s.RenewFraction = 0 },
		func(s *lease.Settings) { s.Drift = s.Lease },
		func(s *lease.Settings) { s.Defaults.Timeout = -1 },
	} {
		s := lease.Default()
		bad(&s)
		err := s.Validate("quorum")
		assert.ErrorIs(t, err, lock.ErrInvalid)
	}
	s := lease.Default()
	s.Lease = 0
	assert.Contains(t, s.Validate("quorum").Error(), "quorum backend")
}
