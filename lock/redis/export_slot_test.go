package redis

// KeySlot is the cluster hash slot of key, as the subscriber computes it.
func KeySlot(key string) int { return keySlot(key) }
