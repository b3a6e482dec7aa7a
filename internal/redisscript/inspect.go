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
	Token   string        // the exclusive holder's owner token; "" when there is none
	Fence   uint64        // the fence stored with it
	PTTL    time.Duration // the key's TTL left; 0 when it has none
	Waiters []string      // the tokens of the live waiters queued on the server
	Holds   []SeenHold    // the live holds of the holders set, in no order
	N       int           // their n: 1 for shared holds, else WithPermits(n); 0: none
}

// SeenHold is one hold of the holders set.
type SeenHold struct {
	Token string
	Fence uint64
	TTL   time.Duration
}

// Inspect reads the holder of the lock at key, its fence and TTL, the live holds of its
// holders set, and the waiters of queue q whose entries have not expired, in one
// read-only script.
func Inspect(ctx context.Context, c goredis.Scripter, key string, q Queue) (Seen, error) {
	h := HoldersOf(key)
	res, err := inspectScript.Run(ctx, c, []string{key, q.Hash, h.Set, h.Hash}).Slice()
	if err != nil {
		return Seen{}, err
	}
	return inspectReply(res)
}

func inspectReply(res []any) (Seen, error) {
	bad := fmt.Errorf("inspect script returned %v", res)
	if len(res) != 5 {
		return Seen{}, bad
	}
	held, ok1 := res[0].(string)
	pttl, ok2 := res[1].(int64)
	waiters, ok3 := res[2].([]any)
	holds, ok4 := res[3].([]any)
	n, ok5 := res[4].(int64)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || len(holds)%3 != 0 {
		return Seen{}, bad
	}
	s := Seen{N: int(n)}
	if held != "" {
		token, fence, ok := strings.Cut(held, " ")
		f, err := strconv.ParseUint(fence, 10, 64)
		if !ok || err != nil {
			return Seen{}, bad
		}
		s.Token, s.Fence, s.PTTL = token, f, max(0, time.Duration(pttl)*time.Millisecond)
	}
	if s.Waiters, ok1 = tokenList(waiters); !ok1 {
		return Seen{}, bad
	}
	if s.Holds, ok1 = seenHolds(holds); !ok1 {
		return Seen{}, bad
	}
	return s, nil
}

// strings_ reads a reply's list of tokens.
func tokenList(list []any) ([]string, bool) {
	var out []string
	for _, w := range list {
		token, ok := w.(string)
		if !ok {
			return nil, false
		}
		out = append(out, token)
	}
	return out, true
}

// seenHolds reads a reply's flat list of token, fence, ms left triples.
func seenHolds(flat []any) ([]SeenHold, bool) {
	var out []SeenHold
	for i := 0; i+2 < len(flat); i += 3 {
		token, ok1 := flat[i].(string)
		fence, ok2 := flat[i+1].(int64)
		left, ok3 := flat[i+2].(int64)
		if !ok1 || !ok2 || !ok3 {
			return nil, false
		}
		out = append(out, SeenHold{Token: token, Fence: uint64(fence), TTL: time.Duration(left) * time.Millisecond})
	}
	return out, true
}
