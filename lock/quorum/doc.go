// Package quorum is baton's Redlock backend: named locks taken on a majority of N
// independent Redis masters, so that the lock outlives the crash of any minority of them.
// Import it to register the URL scheme redis+quorum:// with lock.Open
// ("redis+quorum://a:6379,b:6379,c:6379?prefix=orders:"), or call New with one go-redis
// client per master. The engine is lock/redis's (redis.NewQuorum, the same Acquire loop,
// hold lifecycle, subscriber and scripts as one node); this package registers the scheme,
// parses its URLs and forwards New and the options.
//
// Each node runs the same scripts as the single-server backend (lock/redis): a key
// prefix+"{name}" holding the owner's random token and fence, and one fence counter per node
// (lock/redis/PROTOCOL.md, "Keys" and "Fences"). Acquire sends the acquire script to every
// node at once and returns as soon as a majority has
// taken the lock, or as soon as so many nodes said no that a majority cannot, so a dead
// node costs nothing while a majority lives; each node call is bounded by WithNodeTimeout. A hold counts only if the
// majority answered within its validity: the TTL, minus the time the try took, minus a
// drift margin (2ms + 1% of the TTL by default). A try that took fewer than a majority
// frees what it took at once and backs off a random while (a split vote). Release frees
// every node, each once it has answered the hold's try (a late try must not outlive its
// release there), and returns once a majority has; Extend and the renewals of a leased hold
// (no timeout: a 30s lease renewed every third of it) must reach a majority before the
// hold's safe deadline, or the hold is lost: Lost closes and lock.Do's ctx is cancelled
// before the keys can expire on a majority. The fence is the largest of the fences the
// majority handed out; the nodes of the majority that gave a smaller one are raised to it
// in the background, and every node a Release frees has its fence counter raised to the
// hold's fence in the same script, so that the next hold, whose majority shares a node with
// this one's, gets a larger fence whatever the nodes' clocks say.
//
// Waiting does not poll: the backend subscribes to a name's release channel on every node
// while some Acquire of the process waits for it, and a waiter sleeps until a release is
// published on any node, or the holder's TTL runs out; when fewer than a majority of the
// nodes said the lock is taken and the others could not answer, it retries at a backoff
// (10 ms, doubling to 1 s) instead. Waiters of one process on one name queue in arrival
// order and only the first talks to the nodes.
//
// # When to use it
//
// Use one Redis server (lock/redis, redis://) when a lock may be unavailable while that
// server is down, and a restart may (rarely) hand a lock to two owners. Use Sentinel
// (redis+sentinel://) or Cluster (redis+cluster://) to keep the lock service up when a
// master fails; their replication is asynchronous, so a failover can lose a key that was
// just written and let a second owner in while the first still believes it holds the lock
// (the first is told it is lost at its next renewal). Use this package when a lock must
// stay exclusive through the crash of any minority of the masters, with no replication
// between them: the keys of a hold live on a majority, and any other majority shares a
// node with it. Its safety rests on bounded clock drift between the nodes and on a
// crashed node not coming back empty before the locks it held have expired (run the
// masters with appendonly and fsync, or delay their restart by the longest TTL). Whatever
// the backend, pass Fence() to the storage you protect: it is what keeps a paused or
// partitioned holder from writing after it lost the lock.
package quorum
