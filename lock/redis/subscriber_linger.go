package redis

import "time"

// How a channel that no wait queue wants any more is let go (PROTOCOL.md, "Messages"): on
// one node after it lingered, on a quorum's nodes at once.

// lingerOne is how long a channel of one node stays subscribed after its last reference
// is dropped.
const lingerOne = time.Second

// lingers reports whether channel is subscribed and confirmed: acquire costs no I/O then.
func (s *subscriber) lingers(channel string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.channels[channel]
	return sub != nil && sub.live && isClosed(sub.confirmed)
}

// release drops a reference taken by acquire. The channel stays subscribed for s.linger
// after the last one.
func (s *subscriber) release(channel string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.channels[channel]
	if sub == nil {
		return
	}
	if sub.refs--; sub.refs > 0 {
		return
	}
	if !sub.live || s.closed {
		if sub.pending == 0 {
			s.forget(channel, sub)
		}
		return
	}
	if s.linger == 0 {
		s.unsubscribe(channel, sub)
		return
	}
	sub.idleSince = time.Now()
	s.idle[channel] = sub
	if s.sweeper == nil {
		s.sweeper = time.AfterFunc(s.linger, s.sweep)
	}
}

// sweep unsubscribes the channels that have had no reference for s.linger.
func (s *subscriber) sweep() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweeper = nil
	if s.closed {
		return
	}
	var next time.Duration = -1
	for channel, sub := range s.idle {
		if left := s.linger - time.Since(sub.idleSince); left > 0 {
			if next < 0 || left < next {
				next = left
			}
			continue
		}
		delete(s.idle, channel)
		s.unsubscribe(channel, sub)
	}
	if next >= 0 {
		s.sweeper = time.AfterFunc(next, s.sweep)
	}
}

// unsubscribe queues the UNSUBSCRIBE of a live channel that no wait queue wants any more;
// s.mu is held.
func (s *subscriber) unsubscribe(channel string, sub *subscription) {
	sub.live = false
	sub.shard.queue(subOp{channel: channel})
	if sub.pending == 0 {
		s.forget(channel, sub)
	}
}

// forget drops the state of a channel nobody wants and no answer is due for; s.mu is held.
// The shard's pump then closes the shard if that was its last channel.
func (s *subscriber) forget(channel string, sub *subscription) {
	delete(s.channels, channel)
	if sh := sub.shard; sh != nil {
		delete(sh.subs, channel)
		sh.poke()
	}
}
