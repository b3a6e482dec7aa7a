// Package redis is baton's Redis backend: named locks that exclude each other across every
// process that uses the same server and key prefix. Import it to register the URL schemes
// redis://, rediss:// and unix:// (one server), redis+cluster:// (Redis Cluster) and
// redis+sentinel:// (a master watched by Sentinel) with lock.Open, or call New with any
// go-redis UniversalClient.
//
// Cluster and Sentinel keep the lock service up when a master fails, but Redis replicates
// asynchronously: a failover can lose a hold, or a renewal, written just before it, and
// another process can then take the lock while its holder still believes it holds it, until
// the holder's next renewal (or its timeout) tells it the hold is lost. Locks that must stay
// exclusive through the crash of a server belong on lock/quorum, a majority of independent
// masters; and whatever the backend, the storage a lock protects should check Fence().
//
// A lock named n lives in the key prefix+"{n}", which holds a random token of the current
// owner (fresh for every acquisition from the server) and the hold's fence. The fence
// counter is shared: one key on a server, one per hash slot on a cluster, without a TTL, so
// a service that locks millions of distinct names leaves nothing per name behind. Acquire is
// one Lua round trip: SET NX PX with the next fence, max(server µs, counter + 1, this
// handle's last fence + 1); when the key is taken the script returns its PTTL instead. The
// keys and the fence rule are written down in PROTOCOL.md ("Keys", "Fences"). Release and
// Extend compare the token before they DEL or PEXPIRE, so a stale handle cannot touch a newer hold, and Release publishes on the
// channel prefix+"{n}:released" (SPUBLISH on a cluster): "released" when it freed the key,
// "granted ..." when it handed the key to a waiter queued on the server (below).
//
// Waiting does not poll. The backend keeps one pub/sub connection (on a cluster, one per
// hash slot in use) for all its locks, subscribed to a name's channel while some Acquire of this
// process waits for it, and for a second after. A waiter subscribes, waits for the server
// to confirm, tries again, and then sleeps until a release is published or the PTTL it was
// given runs out, whichever comes first. Waiters of one process on one name queue in
// arrival order and only the first talks to Redis.
//
// That first waiter, when it holds without a timeout and the lock is held by another
// process, also queues on the server (prefix+"{n}:queue" and prefix+"{n}:waiters"). A
// Release then hands the key to the first live waiter there for a short grant TTL (3s at
// most), advances the fence and publishes "granted ..."; the waiter holds on the message
// with no try of its own, and renews to its lease. It refreshes its place once a second
// while it sleeps, which also finds a grant whose message was lost; a waiter that gives up,
// or whose backend closes, withdraws. grant.go says why a grant is safe to hold on, and
// what a waiter that dies costs.
//
// When that first waiter is asleep, a Release of the same process passes it the lock
// without freeing it on the server. If both holds are leased (no timeout), the pass is made
// in memory, with no round trip at all: the new hold keeps the key's owner token and lease,
// and its fence is the old one + 1, as long as that is behind the server clock (which the
// scripts report), so that every fence the server hands out later is larger; otherwise the
// pass goes through the hand-off script. If the waiter has a timeout, the lock is passed by
// a script that sets its token and TTL and issues a new fence: one round trip instead of
// two. Either way, after 8
// passes in a row a Release goes to the server: it grants the lock to the first waiter of
// another process queued there, or frees it and publishes it, and the process's waiter
// races for it on the same terms as the waiters of other processes. A waiter never queues
// on the server behind a hold of its own process, and a waiter with a timeout never queues
// (it is woken by the release and tries, as before), so strict fairness between processes
// is not promised; leased waiters of different processes are served in the order they
// queued. A Release that passes a lock in memory does not ask the server, so it
// cannot notice a key deleted behind the holder's back; the new hold's first renewal does,
// as the old hold's would have, and reports it lost.
//
// Scripts that goroutines of the process run at the same moment share one pipeline
// (internal/redisbatch): a lone call is sent at once, and calls made while two are in
// flight go together in the next. The server then reads and answers many scripts at once,
// which is where a busy server spends most of its time. Cluster clients are not batched: a
// pipeline that spans nodes would be as slow as its slowest node.
//
// Scripts need Redis 6.2 or newer (older servers are untested) and, on a cluster, SPUBLISH
// (Redis 7.0). Open and New check the server's version and, by ACL DRYRUN, that its ACL
// allows every command baton sends, and warn when its maxmemory-policy may evict lock keys
// (set noeviction).
//
// A hold with lock.WithTimeout(d) is a key with PX d, never renewed. A hold without one gets
// a lease (30s by default) renewed every third of it. Either way the hold counts as lost at
// its safe deadline: the time its last successful SET or PEXPIRE was sent, plus the TTL,
// minus a margin for clock drift. So Lost() closes, and lock.Do's ctx is cancelled, before
// the key can expire on the server, and at once when a renewal finds the key deleted or
// owned by someone else.
//
// Redis errors come back wrapped with the operation and the lock name. Close stops the
// renewals, marks its holds lost and then releases their keys (for at most a second), so
// another process can take the locks at once; a key it could not free expires within the
// lease.
package redis
