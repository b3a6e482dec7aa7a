// Package redis is baton's Redis engine: named locks that exclude each other across every
// process using the same Redis deployment and key prefix. Import it to register the URL
// schemes redis://, rediss:// and unix:// (one server), redis+cluster:// and
// redis+sentinel:// with lock.Open, or call New with any go-redis UniversalClient:
//
//	b, err := lock.Open(ctx, "redis://redis:6379/0?prefix=orders:")
//	l, err := b.NewLock("invoice:42", lock.WithTimeout(30*time.Second))
//	err = lock.Do(ctx, l, func(ctx context.Context) error { ... }) // ctx ends if the hold is lost
//
// NewQuorum (lock/quorum, redis+quorum://) runs the same engine over N independent masters,
// each operation completing on a majority: use it when a lock must stay exclusive through the
// crash of any minority of them. Cluster and Sentinel keep the service up when a master
// fails, but replicate asynchronously: a failover can lose a hold just written and let a
// second owner in until the first one's next renewal reports it lost.
//
// A hold with lock.WithTimeout(d) is a key with PX d; one without is a lease (WithLease,
// 30s) renewed every third of it. Either way Lost() closes, and lock.Do's ctx is cancelled,
// at the hold's safe deadline, before the key can expire on the server, or at once when a
// renewal finds it gone. Pass Fence() to the storage the lock protects: fences strictly
// increase per name, cost no memory per name, and stay below 2^53.
//
// Acquire is one Lua round trip while the lock is free. Waiting does not poll: a waiter
// sleeps until the release is published (one pub/sub connection per backend, or per slot in
// use on a Cluster) or the key's TTL runs out. Waiters of one process queue in arrival
// order; a Release passes the lock to the next of them without freeing it, and waiters of
// other processes queue on the server, which grants them the lock on release, in order.
//
// Every wait is bounded by the Acquire's ctx and blocking window. Release with a ctx that
// has ended still frees the key, under a deadline of its own; Close releases the holds it
// has left (for at most a second). Run the server with maxmemory-policy noeviction: an
// evicted lock key lets a rival in. New and Open check the server's version (6.2; 7.0 on a
// Cluster) and ACL, and warn about an evicting policy.
//
// The keys, scripts, messages, fence rule, clock assumptions and invariants are written down
// once, in PROTOCOL.md (https://github.com/batonlock/baton/blob/main/lock/redis/PROTOCOL.md).
package redis
