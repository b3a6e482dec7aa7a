package redis

import "github.com/batonlock/baton/internal/redisscript"

// KeySlot is the cluster hash slot of key, as the subscriber computes it.
func KeySlot(key string) int { return int(redisscript.Slot(key)) }
