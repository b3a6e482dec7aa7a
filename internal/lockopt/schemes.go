package lockopt

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// The scheme table: driver.Register writes it, lock.Open reads it. An opener is stored as
// any because its type names lock.Backend; lock.Open asserts it back to that type.
var registry struct {
	sync.RWMutex
	openers map[string]any
}

// Register stores open under scheme. It panics if scheme is empty, open is nil, or the
// scheme is taken (a programming error in a driver's init, as with database/sql).
func Register(scheme string, open any) {
	scheme = strings.ToLower(scheme)
	if scheme == "" || open == nil {
		panic("lock: Register needs a scheme and an opener")
	}
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.openers[scheme]; dup {
		panic(fmt.Sprintf("lock: Register called twice for scheme %q", scheme))
	}
	if registry.openers == nil {
		registry.openers = make(map[string]any)
	}
	registry.openers[scheme] = open
}

// Opener returns what was registered under scheme (already lower-cased), or nil.
func Opener(scheme string) any {
	registry.RLock()
	defer registry.RUnlock()
	return registry.openers[scheme]
}

// Schemes returns the registered URL schemes, sorted.
func Schemes() []string {
	registry.RLock()
	defer registry.RUnlock()
	s := make([]string, 0, len(registry.openers))
	for k := range registry.openers {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}
