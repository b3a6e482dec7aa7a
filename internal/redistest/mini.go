package redistest

import (
	"testing"

	"github.com/alicebob/miniredis/v2"

	"github.com/batonlock/baton/lock/redis/redistest"
)

// StartMini starts a miniredis whose TTLs follow real time, closed when t ends. It is the
// public helper users' tests get, so baton's tests run on the same miniredis as theirs.
func StartMini(t testing.TB) *miniredis.Miniredis {
	t.Helper()
	m, _ := redistest.StartMiniredis(t)
	return m
}
