package redistest_test

import (
	"testing"

	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/locktest"
	"github.com/batonlock/baton/lock/redis/redistest"
)

// TestConformanceThroughTheURL runs the whole contract on the plain URL a user's test
// gets: no option can widen the drift margin there, so expiry has to be exact. The
// backends of one test share one miniredis, as replicas of a service share one server:
// the suite's tests across backends (Close frees the holds for a peer) need that.
func TestConformanceThroughTheURL(t *testing.T) {
	_, url := redistest.StartMiniredis(t) // one server: the suite's second backend is another process on it
	locktest.Run(t, func(t *testing.T) lock.Backend { return open(t, url) })
}
