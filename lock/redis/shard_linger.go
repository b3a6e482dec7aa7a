package redis

import (
	"context"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// A cluster shard whose last channel has gone keeps its connection for a while
// (PROTOCOL.md, "Messages", connections on a Cluster): the next wait on a name of that slot
// would otherwise dial the slot's master again, and a fought-over name would cost the server
// one connection (a TLS handshake with rediss+cluster://) per contended Acquire. No channel
// stays subscribed meanwhile: the linger keeps the connection, not the subscriptions, so
// it does not change the order in which processes hear a release.

const (
	shardLinger   = 2 * time.Second // how long an idle shard keeps its connection
	maxIdleShards = 16              // idle shards per subscriber; past that, one closes at once
)

// lingering is the linger state of a shard, guarded by the subscriber's mu.
type lingering struct {
	idle    bool            // no channel since idleAt; s.idle counts it
	idleAt  time.Time       // when it last became idle
	timer   *time.Timer     // pokes the pump when the linger is over
	recheck bool            // a channel came after the shard was idle: conn checks ps's node
	node    *goredis.Client // ps's node
}

// lingerOrStop is called by the pump of a cluster shard that has no channel and no command;
// s.mu is held. It lets the shard linger, or reports that the pump must stop (and takes the
// shard out of s.shards) once the linger is over, or when too many shards are idle already.
func (s *subscriber) lingerOrStop(sh *shard) (stop bool) {
	switch {
	case sh.idle && time.Since(sh.idleAt) < shardLinger:
		return false // an earlier poke: the linger goes on
	case !sh.idle && sh.ps != nil && s.idle < maxIdleShards:
		sh.idle, sh.idleAt = true, time.Now()
		s.idle++
		if sh.timer == nil {
			sh.timer = time.AfterFunc(shardLinger, sh.poke)
		} else {
			sh.timer.Reset(shardLinger)
		}
		return false
	}
	if sh.idle {
		s.idle--
	}
	delete(s.shards, sh.slot)
	return true
}

// reuse readies an existing shard for a new channel; s.mu is held. An idle one stops
// lingering, and its node is checked before the channel is subscribed on it (conn): the
// slot may have moved meanwhile, and with no channel on the connection, no server word
// said so.
func (s *subscriber) reuse(sh *shard) {
	if sh.idle {
		sh.idle, sh.recheck = false, true
		s.idle--
	}
}

// movedWhileIdle reports whether sh's connection must be opened again before channel is
// subscribed on it: a channel came to the shard while it lingered, and its node no longer
// answers a read in the slot (it redirects it: the slot moved meanwhile), or cannot be
// asked. The answers due on the old connection will not come. One round trip, where a new
// connection costs a dial and a handshake.
func (s *subscriber) movedWhileIdle(ctx context.Context, sh *shard, channel string) bool {
	s.mu.Lock()
	check, node := sh.recheck, sh.node
	sh.recheck = false
	s.mu.Unlock()
	if !check || node.Exists(ctx, channel).Err() == nil {
		return false
	}
	s.mu.Lock()
	clear(sh.unsubs)
	s.mu.Unlock()
	return true
}

// stopLinger stops the linger's timer once the pump has ended; s.mu is held.
func (sh *shard) stopLinger() {
	if sh.timer != nil {
		sh.timer.Stop()
	}
}
