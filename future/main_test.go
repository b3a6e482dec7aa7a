package future_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any test leaves a goroutine behind: every goroutine this
// package starts must belong to a future that settles.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
