package redis

import "time"

// waitQueue orders the Acquire calls of this process on one name. Only its head talks to
// the nodes; the others wait for their turn, so they are served in arrival order and a
// crowd of waiters does not split the nodes' votes among themselves. It exists only while
// some Acquire on the name is in progress.
type quorumQueue struct {
	waiters    []*quorumWaiter
	subscribed bool // the queue holds a reference on the name's channel on every node
}

type quorumWaiter struct {
	turn  chan struct{} // closed when the waiter becomes the head
	wake  chan struct{} // a release was heard, or the head should try again
	after time.Duration // set before turn closes: the head before took the lock for this TTL
}

// enqueue adds a waiter for name at the back of its queue.
func (b *Quorum) enqueue(name string) *quorumWaiter {
	w := &quorumWaiter{turn: make(chan struct{}), wake: make(chan struct{}, 1)}
	b.mu.Lock()
	q := b.queues[name]
	if q == nil {
		q = &quorumQueue{}
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
// subscriptions) when it is empty. took is the TTL of the hold w took, 0 if it gave up.
func (b *Quorum) dequeue(l *quorumLock, w *quorumWaiter, took time.Duration) {
	b.mu.Lock()
	q := b.queues[l.core.name]
	for i, x := range q.waiters {
		if x == w {
			q.waiters = append(q.waiters[:i], q.waiters[i+1:]...)
			if i == 0 && len(q.waiters) > 0 {
				q.waiters[0].after = took
				close(q.waiters[0].turn)
			}
			break
		}
	}
	empty := len(q.waiters) == 0
	unsubscribe := empty && q.subscribed
	if empty {
		delete(b.queues, l.core.name)
	}
	b.mu.Unlock()
	if unsubscribe {
		for _, s := range b.subs {
			s.release(l.channel)
		}
	}
}

// subscribe makes sure the name's queue is subscribed to its channel on every node. Only
// the head calls it, and a head leaves the queue only after its call returned.
func (b *Quorum) subscribe(l *quorumLock) {
	b.mu.Lock()
	q := b.queues[l.core.name]
	first := !q.subscribed
	q.subscribed = true
	b.mu.Unlock()
	if first {
		for _, s := range b.subs {
			s.acquire(l.channel, l.core.name)
		}
	}
}

// confirmed reports whether a majority of the nodes confirmed the name's subscription, so
// that no release can go unheard.
func (b *Quorum) confirmed(l *quorumLock) bool {
	n := 0
	for _, s := range b.subs {
		if isClosed(s.confirmation(l.channel)) {
			n++
		}
	}
	return n >= b.quorum
}

// wakeHead tells the head waiter on name to try again.
func (b *Quorum) wakeHead(name string) {
	b.mu.Lock()
	if q := b.queues[name]; q != nil && len(q.waiters) > 0 {
		select {
		case q.waiters[0].wake <- struct{}{}:
		default:
		}
	}
	b.mu.Unlock()
}
