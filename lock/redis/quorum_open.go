package redis

import (
	"context"
	"fmt"

	goredis "github.com/redis/go-redis/v9"

	"github.com/batonlock/baton/internal/redischeck"
)

// OpenQuorum is NewQuorum for clients the backend owns (lock/quorum's redis+quorum:// URLs
// make them): Close closes them, and so does OpenQuorum when it fails. It checks, within
// ctx, that a majority of the nodes answers, and asks every node whether it can serve baton
// (internal/redischeck): a node too old for the scripts or whose ACL forbids a command
// baton sends is an error; one whose maxmemory-policy evicts keys gets a warning, once.
func OpenQuorum(ctx context.Context, clients []goredis.UniversalClient, opts ...Option) (*Quorum, error) {
	b, err := NewQuorum(clients, opts...)
	if err != nil {
		for _, c := range clients {
			if c != nil {
				_ = c.Close()
			}
		}
		return nil, err
	}
	b.owned = true
	if err := b.ping(ctx); err != nil {
		_ = b.Close()
		return nil, err
	}
	if err := b.checkNodes(ctx); err != nil {
		_ = b.Close()
		return nil, err
	}
	return b, nil
}

// checkNodes asks every node, each within the node timeout, whether it can serve baton (see
// internal/redischeck): a node too old for the scripts or whose ACL forbids a command baton
// sends is an error; one whose maxmemory-policy evicts keys gets a warning, once. A node
// that does not answer is not judged: the majority that answered the ping suffices.
func (b *Quorum) checkNodes(ctx context.Context) error {
	needs := redischeck.Needs{Prefix: b.cfg.prefix}
	for i, c := range b.clients {
		nctx, cancel := context.WithTimeout(ctx, b.cfg.nodeTimeout)
		rep, err := redischeck.Node(nctx, c, b.addrs[i], needs)
		cancel()
		if redischeck.IsRefusal(err) {
			return err
		}
		redischeck.WarnEviction(b.cfg.defaults.Log(), rep)
	}
	return nil
}

// ping checks that a majority of the nodes answer.
func (b *Quorum) ping(ctx context.Context) error {
	ok, err := b.majority(ctx, func(ctx context.Context, _ int, c goredis.UniversalClient) (bool, error) {
		err := c.Ping(ctx).Err()
		return err == nil, err
	})
	if !ok {
		return fmt.Errorf("cannot reach a majority of the nodes: %w", err)
	}
	return nil
}
