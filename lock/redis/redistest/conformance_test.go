package redistest_test

import (
	"sync"
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
	var mu sync.Mutex
	urls := make(map[*testing.T]string)
	locktest.Run(t, func(t *testing.T) lock.Backend {
		mu.Lock()
		url, ok := urls[t]
		if !ok {
			_, url = redistest.StartMiniredis(t)
			urls[t] = url
		}
		mu.Unlock()
		return open(t, url)
	})
}
