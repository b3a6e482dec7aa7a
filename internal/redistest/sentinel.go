package redistest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// MasterName is the name the Sentinel of StartSentinel monitors.
const MasterName = "m"

// Sentinel is a master, one replica of it and one Sentinel monitoring them, started by
// StartSentinel. After Failover, Master and Replica have swapped roles.
type Sentinel struct {
	t               testing.TB
	cli             string
	Master, Replica *Server
	Sentinel        *Server
}

// StartSentinel starts a master, a replica of it and a Sentinel (redis-server --sentinel,
// quorum 1, short down-after and failover timeouts) on free loopback ports, and waits until
// the replica is in sync and the Sentinel knows it. Skips like Start.
func StartSentinel(t testing.TB) *Sentinel {
	t.Helper()
	cli := lookPath(t, "redis-cli")
	// A full sync writes an RDB file: keep it out of the working directory.
	master := Start(t, "--dir", t.TempDir())
	replica := Start(t, "--dir", t.TempDir(), "--replicaof", "127.0.0.1", fmt.Sprint(master.port))
	port, err := freePort()
	if err != nil {
		t.Fatalf("redistest: no free port: %v", err)
	}
	conf := filepath.Join(t.TempDir(), "sentinel.conf")
	text := strings.Join([]string{
		"sentinel resolve-hostnames no",
		fmt.Sprintf("sentinel monitor %s 127.0.0.1 %d 1", MasterName, master.port),
		"sentinel down-after-milliseconds " + MasterName + " 1000",
		"sentinel failover-timeout " + MasterName + " 5000",
		"sentinel parallel-syncs " + MasterName + " 1",
		"",
	}, "\n")
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatalf("redistest: %v", err)
	}
	sent := &Server{t: t, bin: master.bin, port: port, conf: conf}
	t.Cleanup(sent.stop)
	if err := sent.start(); err != nil {
		t.Fatalf("redistest: sentinel: %v", err)
	}
	s := &Sentinel{t: t, cli: cli, Master: master, Replica: replica, Sentinel: sent}
	s.waitFor("the replica to sync", func() bool {
		return strings.Contains(s.run(replica, "info", "replication"), "master_link_status:up")
	})
	s.waitFor("the sentinel to see the replica", func() bool {
		out := s.run(sent, "sentinel", "replicas", MasterName)
		return strings.Contains(out, fmt.Sprint(replica.port)) && !strings.Contains(out, "disconnected")
	})
	return s
}

// URL returns a redis+sentinel:// URL for the monitored master.
func (s *Sentinel) URL() string {
	return "redis+sentinel://" + s.Sentinel.Addr() + "?master_name=" + MasterName
}

// Failover makes the Sentinel promote the replica (SENTINEL FAILOVER), waits until the
// Sentinel names it as the master and it acts as one, and swaps Master and Replica.
func (s *Sentinel) Failover() {
	s.t.Helper()
	if out := s.run(s.Sentinel, "sentinel", "failover", MasterName); !strings.Contains(out, "OK") {
		s.t.Fatalf("redistest: SENTINEL FAILOVER: %s", out)
	}
	s.waitFor("the replica to be promoted", func() bool {
		addr := s.run(s.Sentinel, "sentinel", "get-master-addr-by-name", MasterName)
		return strings.Contains(addr, fmt.Sprint(s.Replica.port)) &&
			strings.HasPrefix(s.run(s.Replica, "role"), "master")
	})
	s.Master, s.Replica = s.Replica, s.Master
}

func (s *Sentinel) run(srv *Server, args ...string) string {
	out, _ := exec.Command(s.cli, append([]string{"-h", "127.0.0.1", "-p", fmt.Sprint(srv.port)}, args...)...).CombinedOutput()
	return string(out)
}

func (s *Sentinel) waitFor(what string, ok func() bool) {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			s.t.Fatalf("redistest: timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
