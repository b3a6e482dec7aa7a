//go:build linux

package scenario

import (
	"syscall"
	"time"
)

// runSection keeps a worker inside its critical section for d, asleep in the kernel
// (nanosleep), not on a Go timer. The Go runtime fires timers from its network poller,
// whose waits are whole milliseconds (runtime/netpoll_epoll.go rounds a wait of less than
// 1ms up to 1ms), so in a process that does network I/O — every Redis row, never the
// in-process baselines — a wake-up on the network restarts that wait and a 1ms time.Sleep
// lasts 1.3ms on average: the rows would time sections of different lengths, and the lock
// would be charged for the runtime's timer. The thread asleep in the kernel holds no P for
// long: the runtime hands its P to other goroutines meanwhile.
func runSection(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	for syscall.Nanosleep(&ts, &ts) == syscall.EINTR { // ts is what was left
	}
}
