package redis

// waitQueue orders the Acquire calls of this process on one name. Only its head talks to
// Redis; the others wait for their turn, so they are served in arrival order and a crowd of
// waiters costs the server one client. It exists only while some Acquire on the name is in
// progress.
type waitQueue struct {
	waiters    []*waiter
	subscribed bool // the queue holds a reference on the name's channel
}

type waiter struct {
	turn chan struct{} // closed when the waiter becomes the head
	wake chan struct{} // a release was heard, or the head should try again
}

// enqueue adds a waiter for name at the back of its queue.
func (b *Backend) enqueue(name string) *waiter {
	w := &waiter{turn: make(chan struct{}), wake: make(chan struct{}, 1)}
	b.mu.Lock()
	q := b.queues[name]
	if q == nil {
		q = &waitQueue{}
		b.queues[name] = q
	}
	q.waiters = append(q.waiters, w)
	if len(q.waiters) == 1 {
		close(w.turn)
	}
	b.mu.Unlock()
	return w
}

// dequeue removes w, hands the turn to the next waiter, and drops the queue (and its
// subscription) when it is empty. The next head tries Redis at once, so a wake-up that w
// took and did not use is never lost.
func (b *Backend) dequeue(l *Lock, w *waiter) {
	b.mu.Lock()
	q := b.queues[l.name]
	for i, x := range q.waiters {
		if x == w {
			q.waiters = append(q.waiters[:i], q.waiters[i+1:]...)
			if i == 0 && len(q.waiters) > 0 {
				close(q.waiters[0].turn)
			}
			break
		}
	}
	empty := len(q.waiters) == 0
	unsubscribe := empty && q.subscribed
	if empty {
		delete(b.queues, l.name)
	}
	b.mu.Unlock()
	if unsubscribe {
		b.subs.release(l.channel)
	}
}

// subscribe makes sure the queue of the head w is subscribed to the name's channel and
// returns a channel closed once the subscription is confirmed. Only the head calls it, and
// a head leaves the queue only after its call returned, so the reference is taken once.
func (b *Backend) subscribe(l *Lock) <-chan struct{} {
	b.mu.Lock()
	q := b.queues[l.name]
	first := !q.subscribed
	q.subscribed = true
	b.mu.Unlock()
	if first {
		return b.subs.acquire(b.ctx, l.channel, l.name)
	}
	return b.subs.confirmation(l.channel)
}

// confirmed returns the confirmation channel of the name's subscription, nil when the
// queue has none yet.
func (b *Backend) confirmed(l *Lock) <-chan struct{} {
	b.mu.Lock()
	q := b.queues[l.name]
	subscribed := q != nil && q.subscribed
	b.mu.Unlock()
	if !subscribed {
		return nil
	}
	return b.subs.confirmation(l.channel)
}

// wakeHead tells the head waiter on name to try again.
func (b *Backend) wakeHead(name string) {
	b.mu.Lock()
	if q := b.queues[name]; q != nil && len(q.waiters) > 0 {
		select {
		case q.waiters[0].wake <- struct{}{}:
		default:
		}
	}
	b.mu.Unlock()
}
