package history

import "golang.org/x/sys/unix"

// Now returns CLOCK_MONOTONIC in nanoseconds. Go's own monotonic reading starts anew in every
// process, so times from two processes could not be compared; this clock is the machine's.
func Now() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		// CLOCK_MONOTONIC exists on every Linux; a failure here means no history can be
		// trusted, and the checker must not see made-up times.
		panic("history: clock_gettime(CLOCK_MONOTONIC): " + err.Error())
	}
	return ts.Nano()
}
