//go:build !linux

package scenario

import "time"

// runSection keeps a worker inside its critical section for d (section_linux.go says why
// Linux sleeps in the kernel instead).
func runSection(d time.Duration) { time.Sleep(d) }
