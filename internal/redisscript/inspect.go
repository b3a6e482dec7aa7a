package redisscript

import (
	"context"
	_ "embed"
	"fmt"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

var (
	//go:embed inspect.lua
	inspectLua    string
	inspectScript = goredis.NewScript(inspectLua)
)

// Seen is what Inspect read of a lock on one node.
type Seen struct {
	Token   string        // the holder's owner token; "" when the lock is free
	Fence   uint64        // the fence stored with it
	PTTL    time.Duration // the key's TTL left; 0 when it has none
	Waiters []string      // the tokens of the live waiters queued on the server
}

// Inspect reads the holder of the lock at key, its fence and TTL, and the waiters of
// queue q whose entries have not expired, in one read-only script.
func Inspect(ctx context.Context, c goredis.Scripter, key string, q Queue) (Seen, error) {
	res, err := inspectScript.Run(ctx, c, []string{key, q.Hash}).Slice()
	if err != nil {
		return Seen{}, err
	}
	return inspectReply(res)
}

func inspectReply(res []any) (Seen, error) {
	bad := fmt.Errorf("inspect script returned %v", res)
	if len(res) < 2 {
		return Seen{}, bad
	}
	held, ok1 := res[0].(string)
	pttl, ok2 := res[1].(int64)
	if !ok1 || !ok2 {
		return Seen{}, bad
	}
	var s Seen
	if held != "" {
		token, fence, ok := strings.Cut(held, " ")
		n, err := strconv.ParseUint(fence, 10, 64)
		if !ok || err != nil {
			return Seen{}, bad
		}
		s.Token, s.Fence, s.PTTL = token, n, max(0, time.Duration(pttl)*time.Millisecond)
	}
	for _, w := range res[2:] {
		token, ok := w.(string)
		if !ok {
			return Seen{}, bad
		}
		s.Waiters = append(s.Waiters, token)
	}
	return s, nil
}
