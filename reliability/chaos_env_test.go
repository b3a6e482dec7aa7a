package reliability_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redistest"
)

// chaosPrefix is the key prefix of every chaos run; its fence counter on a plain server or
// a quorum node is chaosPrefix + "fence:v2" (lock/redis/PROTOCOL.md, "Keys").
const chaosPrefix = "chaos:"

// chaosLease is the children's lease: short, so that a stopped process outlives it.
const chaosLease = time.Second

// chaosEnv is one chaos run: the lock servers (1, or 3 for a quorum), a proxy per child and
// server, the fenced store's server, and the children.
type chaosEnv struct {
	t       *testing.T
	dir     string
	servers []*redistest.Server
	admins  []*goredis.Client    // straight to each server, for the faults
	proxies [][]*redistest.Proxy // [child][server]
	store   *redistest.Server
	procs   []*exec.Cmd
	ready   []chan struct{}
	outs    []*bytes.Buffer
	outMu   sync.Mutex
}

// serverArgs are every chaos server's: DEBUG for the faults, AOF with fsync always when asked
// (a restart then keeps every acknowledged write).
func serverArgs(t *testing.T, aof bool) []string {
	args := []string{"--enable-debug-command", "local", "--dir", t.TempDir()}
	if aof {
		args = append(args, "--appendonly", "yes", "--appendfsync", "always")
	}
	return args
}

func newChaosEnv(t *testing.T, spec chaosSpec) *chaosEnv {
	e := &chaosEnv{t: t, dir: t.TempDir()}
	for range spec.nodes {
		s := redistest.Start(t, serverArgs(t, spec.aof)...)
		e.servers = append(e.servers, s)
		e.admins = append(e.admins, newClient(t, s.Addr()))
	}
	e.store = redistest.Start(t)
	for range spec.procs {
		var row []*redistest.Proxy
		for _, s := range e.servers {
			row = append(row, redistest.StartProxy(t, s.Addr()))
		}
		e.proxies = append(e.proxies, row)
	}
	return e
}

// url is child i's backend URL, through its own proxies.
func (e *chaosEnv) url(i int) string {
	addrs := make([]string, len(e.proxies[i]))
	for n, p := range e.proxies[i] {
		addrs[n] = p.Addr()
	}
	q := fmt.Sprintf("/0?prefix=%s&lease=%s", chaosPrefix, chaosLease)
	if len(addrs) == 1 {
		return "redis://" + addrs[0] + q
	}
	return "redis+quorum://" + strings.Join(addrs, ",") + q
}

// start runs the children: the test binary again, with only TestHelperProcess.
func (e *chaosEnv) start(spec chaosSpec, names []string) {
	for i := range spec.procs {
		cfg := chaosChild{Proc: i + 1, URL: e.url(i), Store: e.store.Addr(), Out: e.historyFile(i),
			Goroutines: spec.goroutines, Names: names, Run: spec.run}
		raw, err := json.Marshal(cfg)
		require.NoError(e.t, err)
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1", "-test.timeout=5m")
		cmd.Env = append(os.Environ(), chaosChildEnv+"="+string(raw))
		out := &bytes.Buffer{}
		ready := make(chan struct{})
		cmd.Stderr = &lockedWriter{mu: &e.outMu, w: out}
		cmd.Stdout = &readyWriter{mu: &e.outMu, out: out, ready: ready}
		require.NoError(e.t, cmd.Start())
		e.t.Cleanup(func() {
			if cmd.ProcessState == nil { // the test ended before wait: do not leave it running
				_ = cmd.Process.Signal(syscall.SIGCONT)
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
			}
		})
		e.procs, e.ready, e.outs = append(e.procs, cmd), append(e.ready, ready), append(e.outs, out)
	}
}

func (e *chaosEnv) historyFile(i int) string { return fmt.Sprintf("%s/proc%d.jsonl", e.dir, i+1) }

// readyWriter is a child's stdout: it keeps the output and closes ready at the child's
// "ready" line. exec's copying goroutine calls it, and cmd.Wait waits for that goroutine.
type readyWriter struct {
	mu    *sync.Mutex
	out   *bytes.Buffer
	ready chan struct{}
	once  sync.Once
}

func (w *readyWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.out.Write(p)
	if bytes.Contains(w.out.Bytes(), []byte("ready\n")) {
		w.once.Do(func() { close(w.ready) })
	}
	return len(p), nil
}

// waitReady waits until every child opened its backend.
func (e *chaosEnv) waitReady() {
	for i, r := range e.ready {
		select {
		case <-r:
		case <-time.After(eventually):
			e.t.Fatalf("child %d not ready after %v", i+1, eventually)
		}
	}
}

// wait waits for every child to exit, for at most bound; a child still running then is
// killed. It fails the test for a child that failed.
func (e *chaosEnv) wait(bound time.Duration) {
	deadline := time.Now().Add(bound)
	for i, cmd := range e.procs {
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var err error
		select {
		case err = <-done:
		case <-time.After(time.Until(deadline)):
			_ = cmd.Process.Signal(syscall.SIGCONT)
			_ = cmd.Process.Kill()
			err = fmt.Errorf("still running after %v: killed (%v)", bound, <-done)
		}
		if err != nil {
			e.outMu.Lock()
			e.t.Errorf("child %d: %v\n%s", i+1, err, e.outs[i])
			e.outMu.Unlock()
		}
	}
}

// signal sends sig to child i.
func (e *chaosEnv) signal(i int, sig syscall.Signal) {
	_ = e.procs[i].Process.Signal(sig)
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// pace runs fn every period until ctx ends, at most max times (0: no limit).
func pace(ctx context.Context, period time.Duration, max int, fn func()) {
	for n := 0; max == 0 || n < max; n++ {
		t := time.NewTimer(period)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		fn()
	}
}

// hold waits d or until ctx ends, inside a fault that must be undone (a stop, a pause).
func hold(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
