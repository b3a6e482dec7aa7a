package redischeck

import (
	"fmt"
	"strconv"
	"strings"
)

// version is a server's major.minor.patch.
type version [3]int

func (v version) less(w version) bool {
	for i := range v {
		if v[i] != w[i] {
			return v[i] < w[i]
		}
	}
	return false
}

func (v version) String() string { return fmt.Sprintf("%d.%d.%d", v[0], v[1], v[2]) }

// Oldest servers baton runs on, and why.
var (
	minScripts = version{6, 2, 0} // the scripts write the fence counter with SET ... GET (6.2)
	minSharded = version{7, 0, 0} // SPUBLISH and SSUBSCRIBE, on a cluster
)

// parseInfo returns the redis_version field of an INFO server reply; ok is false when the
// reply has none or it does not parse (forks and proxies that say something else are
// given the benefit of the doubt).
func parseInfo(info string) (v version, ok bool) {
	for _, line := range strings.Split(info, "\n") {
		val, found := strings.CutPrefix(strings.TrimSpace(line), "redis_version:")
		if !found {
			continue
		}
		parts := strings.SplitN(val, ".", 3)
		if len(parts) < 2 {
			return v, false
		}
		for i, p := range parts {
			n, err := strconv.Atoi(strings.TrimFunc(p, func(r rune) bool { return r < '0' || r > '9' }))
			if err != nil {
				return v, false
			}
			v[i] = n
		}
		return v, true
	}
	return v, false
}

// tooOld says why v cannot serve n, or "" when it can.
func (n Needs) tooOld(v version) string {
	if v.less(minScripts) {
		return fmt.Sprintf("Redis %v is too old: baton needs Redis %v or newer (its scripts use SET ... GET)", v, minScripts)
	}
	if n.Sharded && v.less(minSharded) {
		return fmt.Sprintf("Redis %v is too old: on a cluster baton uses SPUBLISH and SSUBSCRIBE, which need Redis %v or newer", v, minSharded)
	}
	return ""
}
