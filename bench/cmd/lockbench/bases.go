package main

// bases says which row each row of the table is held up to.
type bases struct {
	of    map[string]string // a backend's baseline target: sync.Mutex for local, raw@X for X
	mutex string            // the sync.Mutex target, "" without one
	sem   string            // the semaphore.Weighted target, "" without one
}

// base returns the (backend, scenario) of the row that (backend, scenario) is compared
// with, false when there is none. A fight between backends (fight8, fight8-timed) is held
// up to sync.Mutex's fight8, the same fight in one process, on every backend and baseline;
// any other scenario to the same scenario on the backend's own baseline.
//
// The permits scenarios, in one process or across backends, are held up to
// semaphore.Weighted's permits: the same sections in one process.
func (b bases) base(backend, scenario string) ([2]string, bool) {
	if scenario == "permits" || scenario == "permits8" {
		if b.sem == "" || backend == b.sem {
			return [2]string{}, false
		}
		return [2]string{b.sem, "permits"}, true
	}
	if scenario == "fight8" || scenario == "fight8-timed" {
		if b.mutex == "" || backend == b.mutex {
			return [2]string{}, false
		}
		return [2]string{b.mutex, "fight8"}, true
	}
	t, ok := b.of[backend]
	return [2]string{t, scenario}, ok
}
