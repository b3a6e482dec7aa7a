package redistest

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Cluster is a Redis Cluster of masters without replicas, started by StartCluster.
type Cluster struct {
	Nodes []*Server
}

// StartCluster starts n (at least 3) redis-server nodes in cluster mode, plus args, joins
// them with redis-cli --cluster create, and waits until every slot is served. Skips like
// Start. With "--cluster-require-full-coverage", "no" the other nodes keep serving their
// slots after one is killed.
func StartCluster(t testing.TB, n int, args ...string) *Cluster {
	t.Helper()
	cli := lookPath(t, "redis-cli")
	dir := t.TempDir()
	c := &Cluster{}
	for i := 0; i < n; i++ {
		bus, err := freePort() // the default, port+10000, may be taken or out of range
		if err != nil {
			t.Fatalf("redistest: no free port: %v", err)
		}
		c.Nodes = append(c.Nodes, Start(t, append([]string{"--cluster-enabled", "yes", "--dir", dir,
			"--cluster-config-file", fmt.Sprintf("nodes-%d.conf", i), "--cluster-port", fmt.Sprint(bus)}, args...)...))
	}
	create := append([]string{"--cluster", "create"}, c.Addrs()...)
	create = append(create, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command(cli, create...).CombinedOutput(); err != nil {
		t.Fatalf("redistest: redis-cli --cluster create: %v\n%s", err, out)
	}
	deadline := time.Now().Add(readyTimeout)
	for _, s := range c.Nodes {
		for {
			out, err := exec.Command(cli, "-h", "127.0.0.1", "-p", fmt.Sprint(s.port), "cluster", "info").CombinedOutput()
			if err == nil && strings.Contains(string(out), "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("redistest: cluster not ready after %v: %v\n%s", readyTimeout, err, out)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return c
}

// Addrs returns the nodes' host:port addresses.
func (c *Cluster) Addrs() []string {
	var as []string
	for _, s := range c.Nodes {
		as = append(as, s.Addr())
	}
	return as
}
