package redischeck

import (
	"context"
	"sync"

	goredis "github.com/redis/go-redis/v9"
)

// All checks every server c sends baton's commands to: every master of a Cluster, every
// shard of a Ring, else the one server. It returns the reports it got, and the first
// error.
func All(ctx context.Context, c goredis.UniversalClient, n Needs) ([]Report, error) {
	var (
		mu   sync.Mutex
		reps []Report
	)
	each := func(ctx context.Context, node *goredis.Client) error {
		r, err := Node(ctx, node, node.Options().Addr, n)
		mu.Lock()
		reps = append(reps, r)
		mu.Unlock()
		return err
	}
	var err error
	switch cc := c.(type) {
	case *goredis.ClusterClient:
		err = cc.ForEachMaster(ctx, each)
	case *goredis.Ring:
		err = cc.ForEachShard(ctx, each)
	case *goredis.Client:
		err = each(ctx, cc)
	default:
		var r Report
		r, err = Node(ctx, c, "", n)
		reps = append(reps, r)
	}
	return reps, err // read after the calls: each appends to reps
}
