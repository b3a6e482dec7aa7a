package lock

import "sync"

// allHold is one hold of an All: the loss hooks it registered on each lock and the hooks
// registered on it. Its mutex is never held while calling a lock, because the locks call
// markLost under their backend's own mutex.
type allHold struct {
	lost  chan struct{}
	parts []<-chan struct{} // each lock's Lost channel as its hold was taken, in name order

	mu     sync.Mutex
	ended  bool           // released, or its Acquire failed: a later loss means nothing
	isLost bool           // lost is closed
	stops  []func() bool  // unregister the hooks on the locks
	hooks  map[int]func() // AfterLost callbacks, by id
	nextID int
}

func newAllHold() *allHold { return &allHold{lost: make(chan struct{})} }

// watch registers the hold's loss hook on l, which was just acquired. A hold lost before this
// call runs the hook at once (LossNotifier promises it).
func (h *allHold) watch(l Locker) {
	stop := l.(lossNotifier).AfterLost(h.markLost)
	h.mu.Lock()
	h.stops = append(h.stops, stop)
	h.parts = append(h.parts, l.Lost())
	h.mu.Unlock()
}

// markLost closes lost and runs the AfterLost callbacks, on the goroutine of the backend that
// marks one of the locks lost, before that lock can be taken by anyone else.
func (h *allHold) markLost() {
	h.mu.Lock()
	if h.ended || h.isLost {
		h.mu.Unlock()
		return
	}
	h.isLost = true
	close(h.lost)
	hooks := h.hooks
	h.hooks = nil
	h.mu.Unlock()
	for _, fn := range hooks {
		fn()
	}
}

// afterLost registers fn; see lossNotifier.
func (h *allHold) afterLost(fn func()) (stop func() bool) {
	h.mu.Lock()
	if h.isLost {
		h.mu.Unlock()
		fn()
		return func() bool { return false }
	}
	if h.ended {
		h.mu.Unlock()
		return func() bool { return false }
	}
	if h.hooks == nil {
		h.hooks = make(map[int]func())
	}
	id := h.nextID
	h.nextID++
	h.hooks[id] = fn
	h.mu.Unlock()
	return func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		_, ok := h.hooks[id]
		delete(h.hooks, id)
		return ok
	}
}

// end unregisters the hold's hooks on its locks: it was released, or its Acquire failed.
func (h *allHold) end() {
	h.mu.Lock()
	h.ended = true
	h.hooks = nil
	stops := h.stops
	h.stops = nil
	h.mu.Unlock()
	for _, stop := range stops {
		stop()
	}
}
