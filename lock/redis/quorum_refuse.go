package redis

import (
	"github.com/batonlock/baton/lock/driver"
)

// refuseOnQuorum returns the lock.ErrInvalid error of the options a Quorum cannot keep, or
// nil. Permits: a majority cannot bound n holders. With 3 nodes and n = 2, holders that
// took nodes {1,2}, {2,3} and {1,3} each hold a majority while every node counts only 2,
// so three holds would coexist; any count kept per node has the same hole. Shared holds
// could be kept (any two majorities meet, so a writer's majority sees every reader), but
// they need a set of holders on each node that the quorum engine does not keep: refused,
// with the reason, rather than served as exclusive holds that break their contract.
func refuseOnQuorum(name string, o driver.Options) error {
	switch {
	case o.Permits > 1:
		return driver.Invalidf("lock %q: new lock: WithPermits(%d) on a quorum: majorities cannot bound n holders (with 3 nodes and n = 2, holders on nodes {1,2}, {2,3} and {1,3} leave every node at 2); use one Redis server, Sentinel or Cluster for permits", name, o.Permits)
	case o.Shared:
		return driver.Invalidf("lock %q: new lock: WithShared on a quorum: shared holds need a set of holders on every node, which the quorum backend does not keep; take exclusive holds, or use one Redis server, Sentinel or Cluster", name)
	}
	return nil
}
