package lock

import "github.com/batonlock/baton/internal/lockopt"

// WithPermits lets up to n holds of the name exist at once: a counting semaphore, such as "at
// most 5 replicas call the payment provider". Every hold has its own token, fence, expiry and
// Lost channel, as a plain lock's. The default is 1. n is stored with the name's state while
// it is held or waited on, so that handles disagreeing on n cannot each admit their own
// count: Acquire on a handle whose n differs from the name's returns an ErrInvalid error
// naming both. n < 1 is an ErrInvalid error from NewLock, and so is n > 1 with WithShared.
//
// local:// and the Redis backends (one server, Sentinel, Cluster) keep permits. A quorum
// refuses n > 1 at NewLock: majorities of N nodes cannot bound the number of holders.
func WithPermits(n int) Option {
	return func(o *lockopt.Options) {
		o.Permits = n
		if n < 1 && o.Bad == nil {
			o.Bad = invalidf("permits %d: a lock needs at least 1 (the default)", n)
		}
	}
}

// WithShared makes the lock's holds shared (read) holds: any number of shared holds of a name
// at once, none beside an exclusive hold (a handle without WithShared). Once an exclusive
// Acquire is waiting, new shared Acquires queue behind it, so a stream of readers never
// starves a writer; when that writer releases, the shared Acquires queued behind it, up to the
// next exclusive one, are admitted together.
//
// local:// and the Redis backends (one server, Sentinel, Cluster) keep shared holds; a quorum
// refuses them at NewLock.
func WithShared() Option { return func(o *lockopt.Options) { o.Shared = true } }
