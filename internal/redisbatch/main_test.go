package redisbatch_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run when a test leaves a goroutine behind: every Batcher's flushes
// must be gone once it is closed.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
