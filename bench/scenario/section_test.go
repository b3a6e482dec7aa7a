package scenario_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/batonlock/baton/bench/scenario"
)

// TestSectionLastsItsLength: a critical section is never shorter than asked (a sleep in
// the kernel that a signal interrupts goes on for the time left).
func TestSectionLastsItsLength(t *testing.T) {
	for _, d := range []time.Duration{time.Millisecond, 20 * time.Millisecond} {
		for range 5 {
			start := time.Now()
			scenario.RunSection(d)
			assert.GreaterOrEqual(t, time.Since(start), d)
		}
	}
}
