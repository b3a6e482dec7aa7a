package redis_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	redislock "github.com/batonlock/baton/lock/redis"
)

// The child processes of TestTwoProcesses run this test binary with these variables set.
const (
	childEnv    = "BATON_REDIS_TEST_CHILD" // the server address
	childName   = "BATON_REDIS_TEST_NAME"
	childRounds = "BATON_REDIS_TEST_ROUNDS"
)

// TestTwoProcesses runs the test binary as several processes that fight over one name on a
// real server. Each prints a record per hold (fence, wall-clock entry and exit in ns); the
// holds must not overlap and their fences must grow in the order they happened.
func TestTwoProcesses(t *testing.T) {
	s := startServer(t)
	const children, rounds = 3, 40
	name := fmt.Sprintf("twoproc:%d", time.Now().UnixNano())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	type child struct {
		cmd *exec.Cmd
		out bytes.Buffer
	}
	var cs []*child
	for i := 0; i < children; i++ {
		c := &child{cmd: exec.CommandContext(ctx, os.Args[0], "-test.run=^$")}
		c.cmd.Env = append(os.Environ(), childEnv+"="+s.Addr(), childName+"="+name, childRounds+"="+strconv.Itoa(rounds))
		c.cmd.Stdout = &c.out
		c.cmd.Stderr = os.Stderr
		require.NoError(t, c.cmd.Start())
		cs = append(cs, c)
	}
	type record struct{ fence, enter, leave int64 }
	var recs []record
	for i, c := range cs {
		require.NoError(t, c.cmd.Wait(), "child %d", i)
		sc := bufio.NewScanner(&c.out)
		for sc.Scan() {
			var r record
			_, err := fmt.Sscanf(sc.Text(), "hold %d %d %d", &r.fence, &r.enter, &r.leave)
			require.NoError(t, err, "child %d printed %q", i, sc.Text())
			recs = append(recs, r)
		}
	}
	require.Len(t, recs, children*rounds)
	sort.Slice(recs, func(i, j int) bool { return recs[i].enter < recs[j].enter })
	for i := 1; i < len(recs); i++ {
		prev, cur := recs[i-1], recs[i]
		assert.LessOrEqual(t, prev.leave, cur.enter, "holds %d and %d overlap", i-1, i)
		assert.Less(t, prev.fence, cur.fence, "fences of holds %d and %d", i-1, i)
	}
}

// runChild is a child process of TestTwoProcesses.
func runChild() int {
	rounds, _ := strconv.Atoi(os.Getenv(childRounds))
	client := goredis.NewClient(&goredis.Options{Addr: os.Getenv(childEnv)})
	defer client.Close()
	b, err := redislock.New(client)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer b.Close()
	l, err := b.NewLock(os.Getenv(childName))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	var out strings.Builder
	for i := 0; i < rounds; i++ {
		if err := l.Acquire(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "acquire:", err)
			return 1
		}
		enter := time.Now().UnixNano()
		time.Sleep(time.Millisecond)
		leave := time.Now().UnixNano()
		fmt.Fprintf(&out, "hold %d %d %d\n", l.Fence(), enter, leave)
		if err := l.Release(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "release:", err)
			return 1
		}
	}
	fmt.Print(out.String())
	return 0
}
