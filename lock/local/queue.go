package local

// entry is the state of one name while it is held or waited on.
type entry struct {
	name       string
	permits    int     // the n of the handles that use the name now (WithPermits)
	holders    []*Lock // the handles holding the name, in the order their holds began
	head, tail *waiter // FIFO of blocked Acquire calls
	waiting    int     // length of the FIFO
}

// waiter is one Acquire call blocked on a name. ready is closed when it is granted the lock
// (granted is set) or the backend closes (err is set); both fields are written under the
// backend's mutex before ready is closed.
type waiter struct {
	l          *Lock
	prev, next *waiter
	ready      chan struct{}
	granted    bool
	err        error
}

// admits reports whether l may begin a hold beside the holds e has now. A handle has one hold
// at a time (its second Acquire waits, like a sync.Mutex's), shared holds admit only shared
// holds, and exclusive holds admit exclusive ones up to the name's permits.
func (e *entry) admits(l *Lock) bool {
	switch {
	case l.held:
		return false
	case len(e.holders) == 0:
		return true
	case l.opts.Shared:
		return e.holders[0].opts.Shared
	default:
		return !e.holders[0].opts.Shared && len(e.holders) < e.permits
	}
}

// removeHolder forgets l's hold, keeping the others in the order they began.
func (e *entry) removeHolder(l *Lock) {
	for i, h := range e.holders {
		if h == l {
			copy(e.holders[i:], e.holders[i+1:])
			e.holders[len(e.holders)-1] = nil // let the handle be collected
			e.holders = e.holders[:len(e.holders)-1]
			return
		}
	}
}

// unused reports whether nothing holds or waits on the name, so its entry can go.
func (e *entry) unused() bool { return len(e.holders) == 0 && e.head == nil }

func (e *entry) push(w *waiter) {
	w.prev = e.tail
	if e.tail != nil {
		e.tail.next = w
	} else {
		e.head = w
	}
	e.tail = w
	e.waiting++
}

// remove unlinks w, which must be queued on e.
func (e *entry) remove(w *waiter) {
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		e.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		e.tail = w.prev
	}
	w.prev, w.next = nil, nil
	e.waiting--
}
