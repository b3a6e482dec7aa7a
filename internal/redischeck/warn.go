package redischeck

import "log/slog"

// WarnEviction logs one warning on log for each report whose server may evict keys: an
// evicted lock key lets a rival take a lock that is still held.
func WarnEviction(log *slog.Logger, reps ...Report) {
	for _, r := range reps {
		if r.Evicting != "" {
			log.Warn("baton: redis may evict lock keys, which lets a rival take a held lock: set maxmemory-policy noeviction",
				"node", r.Addr, "maxmemory-policy", r.Evicting, "maxmemory", r.MaxMemory)
		}
	}
}
