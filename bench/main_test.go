package bench_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if a benchmark run leaves a goroutine behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
