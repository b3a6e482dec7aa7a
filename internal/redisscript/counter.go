package redisscript

import (
	"strconv"
	"strings"
	"sync"
)

// Layout names the key layout of PROTOCOL.md, "Keys": the lock key holds "<owner token>
// <fence>", and the fence counters are per cluster slot, without a TTL. The counter keys
// carry it, so that a fleet on another layout never reads or writes them.
const Layout = "v2"

// slots is the number of cluster hash slots.
const slots = 16384

// Counters names the fence counters of one key prefix (PROTOCOL.md, "Keys"): one key on a
// plain server, one per cluster hash slot on a cluster, each in the slot of the lock keys
// it counts for. Baton's keys on a server are then bounded by the slots, whatever number of
// names it has locked. Safe for concurrent use.
type Counters struct {
	prefix  string
	cluster bool
	tags    func() *[slots]string // the hash tag of each slot's counter key
}

// NewCounters returns the fence counters of the lock keys prefix+"{name}"; cluster says
// whether they live on a Redis Cluster.
func NewCounters(prefix string, cluster bool) *Counters {
	c := &Counters{prefix: prefix, cluster: cluster, tags: slotTags}
	if strings.Contains(prefix, "{") {
		// The prefix takes part in the hash tag (or makes Redis hash whole keys): find
		// tags that land in each slot with this prefix around them.
		c.tags = sync.OnceValue(func() *[slots]string { return findTags(c.counterKey) })
	}
	return c
}

// Key returns the counter key for lockKey: in its cluster slot, and the same for every
// lock key of that slot.
func (c *Counters) Key(lockKey string) string {
	switch {
	case !c.cluster:
		return c.prefix + "fence:" + Layout
	case fixedTag(c.prefix):
		return c.counterKey("0") // every key of the prefix is in the slot of its tag
	}
	if tag := c.tags()[Slot(lockKey)]; tag != "" {
		return c.counterKey(tag)
	}
	return lockKey + ":fence:" + Layout // no tag found: a counter of its own, in its slot
}

func (c *Counters) counterKey(tag string) string {
	return c.prefix + "{" + tag + "}:fence:" + Layout
}

// fixedTag reports whether prefix holds a whole hash tag: every key it starts is then in
// that tag's slot.
func fixedTag(prefix string) bool {
	i := strings.IndexByte(prefix, '{')
	return i >= 0 && strings.IndexByte(prefix[i+1:], '}') > 0
}

// slotTags is findTags for a prefix without '{', where a counter key's slot is its tag's
// CRC16: one table, computed once, for every such prefix.
var slotTags = sync.OnceValue(func() *[slots]string { return findTags(func(tag string) string { return "{" + tag + "}" }) })

// findTags returns, for every slot, the first base-36 number that, as the hash tag of
// key(tag), lands the key in that slot; every process computes the same table. About
// 170,000 candidates fill it; the search gives up (leaving slots empty) after 2^22.
func findTags(key func(tag string) string) *[slots]string {
	var t [slots]string
	left := slots
	for i := uint64(0); left > 0 && i < 1<<22; i++ {
		tag := strconv.FormatUint(i, 36)
		if s := Slot(key(tag)); t[s] == "" {
			t[s] = tag
			left--
		}
	}
	return &t
}

// Slot returns the cluster hash slot of key, by Redis' rule: the CRC16 of the part
// between the first '{' and the next '}', when that is not empty, else of the whole key.
func Slot(key string) uint16 {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	return crc16(key) % slots
}

// crc16 is CRC-16/XMODEM, the checksum Redis Cluster hashes keys with.
func crc16(s string) uint16 {
	var crc uint16
	for i := 0; i < len(s); i++ {
		crc ^= uint16(s[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}
