package local

// entry is the state of one name while it is held or waited on.
type entry struct {
	name       string
	holder     *Lock   // nil while free (and then no one waits)
	head, tail *waiter // FIFO of blocked Acquire calls
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

func (e *entry) push(w *waiter) {
	w.prev = e.tail
	if e.tail != nil {
		e.tail.next = w
	} else {
		e.head = w
	}
	e.tail = w
}

func (e *entry) pop() *waiter {
	w := e.head
	if w != nil {
		e.remove(w)
	}
	return w
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
}
