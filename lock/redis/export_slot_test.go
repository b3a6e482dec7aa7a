package redis

import (
	"context"

	"github.com/batonlock/baton/internal/redisscript"
)

// KeySlot is the cluster hash slot of key, as the subscriber computes it.
func KeySlot(key string) int { return int(redisscript.Slot(key)) }

// SlotMaster returns the address of the master on which the subscriber of b, a Cluster
// backend, would open the connection for channel's slot.
func SlotMaster(ctx context.Context, b *Backend, channel string) (string, error) {
	m, err := b.subs[0].master(ctx, channel)
	if err != nil {
		return "", err
	}
	return m.Options().Addr, nil
}
