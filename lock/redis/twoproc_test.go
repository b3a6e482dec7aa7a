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
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	redislock "github.com/batonlock/baton/lock/redis"
)

// The child processes of TestTwoProcesses run this test binary with these variables set.
const (
	childEnv     = "BATON_REDIS_TEST_CHILD" // the server address
	childName    = "BATON_REDIS_TEST_NAME"
	childRounds  = "BATON_REDIS_TEST_ROUNDS"
	childWorkers = "BATON_REDIS_TEST_WORKERS"
)

// TestTwoProcesses runs the test binary as several processes that fight over one name on a
// real server. Each prints a record per hold (fence, wall-clock entry and exit in ns); the
// holds must not overlap and their fences must grow in the order they happened.
func TestTwoProcesses(t *testing.T) {
	s := startServer(t)
	const children, workers, rounds = 3, 3, 15 // workers per child, rounds per worker
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
		c.cmd.Env = append(os.Environ(), childEnv+"="+s.Addr(), childName+"="+name, childRounds+"="+strconv.Itoa(rounds), childWorkers+"="+strconv.Itoa(workers))
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
	require.Len(t, recs, children*workers*rounds)
	sort.Slice(recs, func(i, j int) bool { return recs[i].enter < recs[j].enter })
	for i := 1; i < len(recs); i++ {
		prev, cur := recs[i-1], recs[i]
		assert.LessOrEqual(t, prev.leave, cur.enter, "holds %d and %d overlap", i-1, i)
		assert.Less(t, prev.fence, cur.fence, "fences of holds %d and %d", i-1, i)
	}
}

// runChild is a child process of TestTwoProcesses: workers goroutines, each with its own
// handle, take the lock rounds times each.
func runChild() int {
	rounds, _ := strconv.Atoi(os.Getenv(childRounds))
	workers, _ := strconv.Atoi(os.Getenv(childWorkers))
	client := goredis.NewClient(&goredis.Options{Addr: os.Getenv(childEnv), ContextTimeoutEnabled: true})
	defer client.Close()
	b, err := redislock.New(client)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	var (
		mu     sync.Mutex
		out    strings.Builder
		failed atomic.Bool
		wg     sync.WaitGroup
	)
	for w := 0; w < workers; w++ {
		l, err := b.NewLock(os.Getenv(childName))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				if err := l.Acquire(ctx); err != nil {
					fmt.Fprintln(os.Stderr, "acquire:", err)
					failed.Store(true)
					return
				}
				enter := time.Now().UnixNano()
				time.Sleep(time.Millisecond)
				leave := time.Now().UnixNano()
				mu.Lock()
				fmt.Fprintf(&out, "hold %d %d %d\n", l.Fence(), enter, leave)
				mu.Unlock()
				if err := l.Release(ctx); err != nil {
					fmt.Fprintln(os.Stderr, "release:", err)
					failed.Store(true)
					return
				}
			}
		}()
	}
	wg.Wait()
	fmt.Print(out.String())
	if failed.Load() {
		return 1
	}
	return 0
}
