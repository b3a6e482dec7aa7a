package redis

import "strings"

// clusterSlots is how many hash slots a Redis Cluster splits its keys over.
const clusterSlots = 16384

// keySlot returns the cluster hash slot of key, as Redis computes it (CRC16/XMODEM of the
// key, or of its hash tag: the part between the first "{" and the next "}", when not
// empty). The subscriber groups channels by slot without a round trip: one SSUBSCRIBE may
// only name channels of one slot.
func keySlot(key string) int {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	return int(crc16(key) % clusterSlots)
}

// crc16 is CRC-16/XMODEM (polynomial 0x1021, initial value 0), the checksum of Redis
// Cluster's key slots.
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
