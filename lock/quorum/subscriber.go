package quorum

import (
	"context"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// nodeSubscriber is the backend's pub/sub connection to one node, shared by every name
// that has waiters in this process, and opened when the first one needs it. A waiter
// counts on a name's release being heard once a majority of the nodes has confirmed its
// channel: a release frees the lock on a majority, which publishes on each of them, and two
// majorities share a node.
//
// SUBSCRIBE and UNSUBSCRIBE are written by one goroutine per node, in the order they were
// asked for, so that a dead node, whose writes wait for a dial to time out, holds up no
// waiter. Every confirmation and message wakes the head waiter of the name.
type nodeSubscriber struct {
	client  goredis.UniversalClient
	timeout time.Duration
	wake    func(name string)
	ctx     context.Context // the pump's writes; cancelled by close
	cancel  context.CancelFunc

	mu       sync.Mutex
	closed   bool
	ps       *goredis.PubSub // nil until the first subscription
	channels map[string]*subscription
	ops      []subOp       // writes for the pump, in order
	kick     chan struct{} // there are ops
	stop     chan struct{} // closed by close
	wg       sync.WaitGroup
}

// closeWait bounds how long Close waits for the subscribers' goroutines to stop. go-redis
// closes a PubSub only once the connection attempt it may be making ends, which on a
// stalled network takes as long as the client's dial and read timeouts; Close must not.
const closeWait = 500 * time.Millisecond

type subscription struct {
	name      string
	refs      int // wait queues that want the channel
	pending   int // SUBSCRIBE commands not yet confirmed (or failed)
	confirmed chan struct{}
}

type subOp struct {
	channel   string
	subscribe bool
}

func newNodeSubscriber(c goredis.UniversalClient, timeout time.Duration, wake func(string)) *nodeSubscriber {
	s := &nodeSubscriber{
		client:   c,
		timeout:  timeout,
		wake:     wake,
		channels: make(map[string]*subscription),
		kick:     make(chan struct{}, 1),
		stop:     make(chan struct{}),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

// acquire takes a reference on channel, subscribing when it is the first.
func (s *nodeSubscriber) acquire(channel, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	sub := s.channels[channel]
	if sub == nil {
		sub = &subscription{name: name, confirmed: make(chan struct{})}
		s.channels[channel] = sub
	}
	if sub.refs++; sub.refs > 1 {
		return
	}
	if isClosed(sub.confirmed) {
		sub.confirmed = make(chan struct{})
	}
	if s.ps == nil {
		s.ps = s.client.Subscribe(context.Background())
		msgs := s.ps.ChannelWithSubscriptions()
		s.wg.Add(2)
		go s.receive(msgs)
		go s.pump()
	}
	sub.pending++
	s.queue(subOp{channel: channel, subscribe: true})
}

// release drops a reference taken by acquire, unsubscribing with the last one.
func (s *nodeSubscriber) release(channel string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.channels[channel]
	if sub == nil || s.closed {
		return
	}
	if sub.refs--; sub.refs > 0 {
		return
	}
	s.queue(subOp{channel: channel})
	if sub.pending == 0 {
		delete(s.channels, channel)
	}
}

// isConfirmed reports whether the node has confirmed channel's subscription.
func (s *nodeSubscriber) isConfirmed(channel string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.channels[channel]
	return sub != nil && sub.refs > 0 && isClosed(sub.confirmed)
}

// queue hands a write to the pump; s.mu is held.
func (s *nodeSubscriber) queue(op subOp) {
	s.ops = append(s.ops, op)
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// pump writes the queued SUBSCRIBE and UNSUBSCRIBE commands until close.
func (s *nodeSubscriber) pump() {
	defer s.wg.Done()
	for {
		select {
		case <-s.stop:
			return
		case <-s.kick:
		}
		s.mu.Lock()
		ops := s.ops
		s.ops = nil
		s.mu.Unlock()
		for _, op := range ops {
			if op.subscribe {
				s.subscribe(op.channel)
			} else {
				ctx, cancel := context.WithTimeout(s.ctx, s.timeout)
				_ = s.ps.Unsubscribe(ctx, op.channel)
				cancel()
			}
		}
	}
}

func (s *nodeSubscriber) subscribe(channel string) {
	ctx, cancel := context.WithTimeout(s.ctx, s.timeout)
	defer cancel()
	// A failed write makes go-redis reconnect and resubscribe before it records the new
	// channel, so the channel would be left out: send it once more on the new connection.
	if err := s.ps.Subscribe(ctx, channel); err == nil {
		return
	}
	if err := s.ps.Subscribe(ctx, channel); err == nil {
		return
	}
	// Never confirmed on this node: its waiters count on the other nodes, or the key's TTL.
	s.mu.Lock()
	if sub := s.channels[channel]; sub != nil {
		sub.pending = max(0, sub.pending-1)
		if sub.pending == 0 && sub.refs == 0 {
			delete(s.channels, channel)
		}
	}
	s.mu.Unlock()
}

// receive handles the node's messages until its PubSub is closed.
func (s *nodeSubscriber) receive(msgs <-chan any) {
	defer s.wg.Done()
	for m := range msgs {
		switch m := m.(type) {
		case *goredis.Subscription:
			if m.Kind == "subscribe" {
				s.confirm(m.Channel)
			}
		case *goredis.Message:
			s.heard(m.Channel)
		}
	}
}

func (s *nodeSubscriber) confirm(channel string) {
	s.mu.Lock()
	sub := s.channels[channel]
	if sub == nil {
		s.mu.Unlock()
		return
	}
	if sub.pending > 0 {
		sub.pending--
	}
	name, live := sub.name, sub.refs > 0
	if sub.pending == 0 {
		if live {
			closeOnce(sub.confirmed)
		} else {
			delete(s.channels, channel)
		}
	}
	s.mu.Unlock()
	if live {
		s.wake(name)
	}
}

func (s *nodeSubscriber) heard(channel string) {
	s.mu.Lock()
	var name string
	if sub := s.channels[channel]; sub != nil && sub.refs > 0 {
		name = sub.name
	}
	s.mu.Unlock()
	if name != "" {
		s.wake(name)
	}
}

// closeAll ends the subscriptions on every node and waits, for at most closeWait in all,
// for their goroutines to stop. Those stuck behind a connection attempt of go-redis stop
// when it ends; they write nothing more.
func closeAll(subs []*nodeSubscriber) {
	var wg sync.WaitGroup
	for _, s := range subs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.close()
		}()
	}
	stopped := make(chan struct{})
	go func() {
		wg.Wait()
		close(stopped)
	}()
	t := time.NewTimer(closeWait)
	defer t.Stop()
	select {
	case <-stopped:
	case <-t.C:
	}
}

// close ends the subscriptions and waits for the goroutines to stop.
func (s *nodeSubscriber) close() {
	s.mu.Lock()
	s.closed = true
	close(s.stop)
	ps := s.ps
	s.mu.Unlock()
	s.cancel()
	if ps != nil {
		_ = ps.Close()
	}
	s.wg.Wait()
}

// channelCount reports how many channels the node subscriber keeps state for.
func (s *nodeSubscriber) channelCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.channels)
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func closeOnce(c chan struct{}) {
	if !isClosed(c) {
		close(c)
	}
}
