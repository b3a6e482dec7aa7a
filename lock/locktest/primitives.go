package locktest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
)

// Harness describes a backend for RunPrimitives.
type Harness struct {
	// Open returns a new, working Backend each time it is called; the suite closes it.
	Open func(t *testing.T) lock.Backend
	// Peers returns n more Backends that share b's locks, as processes on one server do;
	// the suite closes them. Leave it nil when backends are independent (local://): the
	// fights then use several handles of one backend.
	Peers func(t *testing.T, b lock.Backend, n int) []lock.Backend
}

// RunPrimitives runs the rules of permits (WithPermits), shared holds (WithShared), owners
// and Inspect, and why a hold is gone. A backend runs them once it implements them; Run's
// rules apply to it as well. The backend must be a lock.Inspector and report lock.Waiting
// to a lock's Observer when an Acquire starts to wait, which is how these tests know a
// waiter has queued without sleeping.
func RunPrimitives(t *testing.T, h Harness) {
	require.NotNil(t, h.Open, "Harness.Open")
	s := &primitives{suite: suite{open: h.Open}, peers: h.Peers}
	t.Run("LostSaysWhy", s.lostSaysWhy)
	t.Run("ClosedSaysWhy", s.closedSaysWhy)
	t.Run("PermitsAdmitN", s.permitsAdmitN)
	t.Run("PermitsFIFO", s.permitsFIFO)
	t.Run("PermitsFight", s.permitsFight)
	t.Run("PermitsExpire", s.permitsExpire)
	t.Run("PermitsDisagree", s.permitsDisagree)
	t.Run("SharedTogether", s.sharedTogether)
	t.Run("SharedAdmittedTogether", s.sharedAdmittedTogether)
	t.Run("WriterNotStarved", s.writerNotStarved)
	t.Run("WriterGivesUp", s.writerGivesUp)
	t.Run("SharedFight", s.sharedFight)
	t.Run("Inspect", s.inspect)
	t.Run("InspectShared", s.inspectShared)
}

type primitives struct {
	suite
	peers func(t *testing.T, b lock.Backend, n int) []lock.Backend
}

// backends opens a backend and up to n-1 peers that share its locks; just the one when the
// backend has no peers.
func (s *primitives) backends(t *testing.T, n int) []lock.Backend {
	t.Helper()
	b := s.backend(t)
	all := []lock.Backend{b}
	if s.peers != nil && n > 1 {
		for _, p := range s.peers(t, b, n-1) {
			require.NotNil(t, p, "Peers returned a nil Backend")
			t.Cleanup(func() { _ = p.Close() })
			all = append(all, p)
		}
	}
	return all
}

// waitProbe is an Observer that tells the test when an Acquire of its lock starts to wait.
type waitProbe chan struct{}

func newWaitProbe() waitProbe { return make(waitProbe, 64) }

// Observe implements lock.Observer.
func (p waitProbe) Observe(e lock.Event) {
	if e.Kind == lock.Waiting {
		select {
		case p <- struct{}{}:
		default:
		}
	}
}

// queued starts l.Acquire, whose handle was made with WithObserver(p), and returns once it
// waits.
func (p waitProbe) queued(t *testing.T, l lock.Locker, what string) <-chan error {
	t.Helper()
	got := acquireAsync(ctx(t), l)
	select {
	case <-p:
	case err := <-got:
		t.Fatalf("%s: Acquire returned %v instead of waiting", what, err)
	case <-time.After(eventually):
		t.Fatalf("%s: no Waiting event after %v", what, eventually)
	}
	return got
}

// waited returns once an Acquire started elsewhere reports that it waits.
func (p waitProbe) waited(t *testing.T, what string) {
	t.Helper()
	select {
	case <-p:
	case <-time.After(eventually):
		t.Fatalf("%s: no Waiting event after %v", what, eventually)
	}
}
