package redischeck

import "strings"

// Needs says what a backend will run on a server.
type Needs struct {
	// Prefix is the backend's key prefix: the dry runs use keys and channels under it, so
	// an ACL that limits keys (~prefix*) or channels (&prefix*) is judged by baton's keys.
	Prefix string
	// Sharded is true on a Redis Cluster, where baton uses SPUBLISH and SSUBSCRIBE.
	Sharded bool
}

// probeName is the lock name the dry runs use; it is never taken.
const probeName = "baton:check"

// commands returns every command baton sends for a lock, with arguments in the shape it
// sends them: those the client sends, then those the scripts call (kept in step with
// internal/redisscript/*.lua by a test).
func (n Needs) commands() [][]string {
	key := n.Prefix + "{" + probeName + "}"
	publish, subscribe := "PUBLISH", "SUBSCRIBE"
	if n.Sharded {
		publish, subscribe = "SPUBLISH", "SSUBSCRIBE"
	}
	ch := key + ":released"
	return [][]string{
		// Sent by the client.
		{"PING"},
		{"EVALSHA", noScript, "1", key},
		{"EVAL", "return 0", "1", key},
		{"EXISTS", key},
		{subscribe, ch},
		// Called by the scripts.
		{"SET", key, "token", "NX", "PX", "1", "GET"},
		{"GET", key},
		{"PEXPIRE", key, "1"},
		{"PTTL", key},
		{"DEL", key},
		{"TIME"},
		{"HGET", key + ":waiters", "token"},
		{"HSET", key + ":waiters", "token", "1"},
		{"HDEL", key + ":waiters", "token"},
		{"HGETALL", key + ":waiters"},
		{"EXISTS", key + ":holders"},
		{"ZADD", key + ":holders", "1", "token"},
		{"ZREM", key + ":holders", "token"},
		{"ZCARD", key + ":holders"},
		{"ZSCORE", key + ":holders", "token"},
		{"ZRANGE", key + ":holders", "0", "0", "WITHSCORES"},
		{"ZRANGEBYSCORE", key + ":holders", "-inf", "0"},
		{"LPOP", key + ":queue"},
		{"LREM", key + ":queue", "0", "token"},
		{"RPUSH", key + ":queue", "token"},
		{"LRANGE", key + ":queue", "0", "-1"},
		{publish, ch, "probe"},
	}
}

// names lists the commands of n, for messages.
func (n Needs) names() string {
	var names []string
	for _, cmd := range n.commands() {
		names = append(names, cmd[0])
	}
	return strings.Join(names, ", ")
}

// noScript is the SHA1 of no script: EVALSHA of it answers NOSCRIPT when allowed.
var noScript = strings.Repeat("0", 40)

// args turns a command into go-redis arguments.
func args(prefix []any, cmd []string) []any {
	out := append([]any(nil), prefix...)
	for _, a := range cmd {
		out = append(out, a)
	}
	return out
}
