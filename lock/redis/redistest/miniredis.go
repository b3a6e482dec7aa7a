package redistest

import (
	"testing"

	"github.com/alicebob/miniredis/v2"
)

// StartMiniredis starts an in-process miniredis on a free loopback port whose TTLs follow
// the wall clock (see the package doc), and returns it with its URL, "redis://host:port/0",
// ready for lock.Open. The server is closed when tb's test ends; a test that cannot start it
// fails at once.
//
// Nothing runs in the background: miniredis brings the TTLs up to date under its own lock
// whenever a command or an accessor touches the data, which is what makes expiry exact.
func StartMiniredis(tb testing.TB) (*miniredis.Miniredis, string) {
	tb.Helper()
	m := miniredis.RunT(tb)
	m.ClockTTL(true)
	return m, "redis://" + m.Addr() + "/0"
}
