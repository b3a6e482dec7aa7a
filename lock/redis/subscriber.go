package redis

import (
	"context"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// subscriber is the backend's one pub/sub connection (one per shard on a cluster), shared
// by every name that has waiters in this process. A channel is subscribed while some name's
// wait queue holds a reference to it, and for linger after the last reference is dropped:
// a name that is waited on again soon finds its channel confirmed already, and the winner of
// a lock does not write an UNSUBSCRIBE on its way out of Acquire.
//
// A waiter must not sleep on a subscription the server has not confirmed, or a release
// published in between would be missed; so each channel counts the SUBSCRIBE commands still
// unanswered and closes confirmed when the last answer comes. Every answer also wakes the
// head of the name's queue, which then tries again: an answer that nobody asked for means
// the connection was re-established, and releases may have been published while it was
// down. Messages go to heard with the name they are about.
type subscriber struct {
	client  goredis.UniversalClient
	sharded bool // SSUBSCRIBE on the node that owns the channel's slot
	wake    func(name string)
	heard   func(name, payload string)
	onError func(op string, err error)

	mu       sync.Mutex
	closed   bool
	shards   map[string]*shard // by node address; "" when not sharded
	channels map[string]*subscription
	idle     map[string]*subscription // subscribed, with no reference: unsubscribed by sweep
	sweeper  *time.Timer              // runs sweep while idle is not empty
	wg       sync.WaitGroup
}

// linger is how long a channel stays subscribed after its last reference is dropped.
const linger = time.Second

type shard struct{ ps *goredis.PubSub }

type subscription struct {
	name      string
	shard     *shard
	refs      int  // wait queues that want the channel
	pending   int  // SUBSCRIBE commands not yet confirmed
	live      bool // SUBSCRIBE sent, and no UNSUBSCRIBE since
	idleSince time.Time
	confirmed chan struct{}
}

func newSubscriber(client goredis.UniversalClient, wake func(string), heard func(string, string), onError func(string, error)) *subscriber {
	_, sharded := client.(*goredis.ClusterClient)
	return &subscriber{
		client:   client,
		sharded:  sharded,
		wake:     wake,
		heard:    heard,
		onError:  onError,
		shards:   make(map[string]*shard),
		channels: make(map[string]*subscription),
		idle:     make(map[string]*subscription),
	}
}

// acquire takes a reference on channel (subscribing when it is the first) and returns a
// channel that is closed once the server has confirmed the subscription.
func (s *subscriber) acquire(ctx context.Context, channel, name string) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.channels[channel]
	if sub == nil {
		sub = &subscription{name: name, confirmed: make(chan struct{})}
		s.channels[channel] = sub
	}
	sub.refs++
	delete(s.idle, channel)
	if sub.refs > 1 || sub.live || s.closed {
		return sub.confirmed // a live channel's is closed when its SUBSCRIBE is confirmed
	}
	if isClosed(sub.confirmed) {
		sub.confirmed = make(chan struct{})
	}
	sh, err := s.shardFor(ctx, channel)
	if err != nil {
		s.onError("subscribe", err)
		return sub.confirmed // never confirmed: the waiter falls back on the key's TTL
	}
	sub.shard = sh
	sub.pending++
	sub.live = true
	// A failed write makes go-redis reconnect and resubscribe before it records the new
	// channel, so the channel would be left out: send it once more on the new connection.
	if err := s.subscribe(ctx, sh, channel); err != nil {
		if err := s.subscribe(ctx, sh, channel); err != nil {
			s.onError("subscribe", err)
		}
	}
	return sub.confirmed
}

// confirmation returns the confirmation channel of a channel already acquired.
func (s *subscriber) confirmation(channel string) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sub := s.channels[channel]; sub != nil && sub.refs > 0 {
		return sub.confirmed
	}
	return nil // never ready: the waiter falls back on the key's TTL
}

// release drops a reference taken by acquire. The channel stays subscribed for linger
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
			delete(s.channels, channel)
		}
		return
	}
	sub.idleSince = time.Now()
	s.idle[channel] = sub
	if s.sweeper == nil {
		s.sweeper = time.AfterFunc(linger, s.sweep)
	}
}

// sweep unsubscribes the channels that have had no reference for linger.
func (s *subscriber) sweep() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweeper = nil
	if s.closed {
		return
	}
	var next time.Duration = -1
	for channel, sub := range s.idle {
		if left := linger - time.Since(sub.idleSince); left > 0 {
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

// unsubscribe ends a channel's subscription; s.mu is held.
func (s *subscriber) unsubscribe(channel string, sub *subscription) {
	sub.live = false
	if sub.shard != nil {
		ctx := context.Background() // only writes; bounded by the client's WriteTimeout
		if s.sharded {
			_ = sub.shard.ps.SUnsubscribe(ctx, channel)
		} else {
			_ = sub.shard.ps.Unsubscribe(ctx, channel)
		}
	}
	if sub.pending == 0 {
		delete(s.channels, channel)
	}
}

func (s *subscriber) subscribe(ctx context.Context, sh *shard, channel string) error {
	if s.sharded {
		return sh.ps.SSubscribe(ctx, channel)
	}
	return sh.ps.Subscribe(ctx, channel)
}

// shardFor returns the pub/sub connection for channel, opening it on first use.
func (s *subscriber) shardFor(ctx context.Context, channel string) (*shard, error) {
	var addr string
	var node goredis.UniversalClient = s.client
	if cc, ok := s.client.(*goredis.ClusterClient); ok {
		c, err := cc.MasterForKey(ctx, channel)
		if err != nil {
			return nil, err
		}
		addr, node = c.Options().Addr, c
	}
	if sh := s.shards[addr]; sh != nil {
		return sh, nil
	}
	var ps *goredis.PubSub
	if s.sharded {
		ps = node.SSubscribe(context.Background())
	} else {
		ps = node.Subscribe(context.Background())
	}
	sh := &shard{ps: ps}
	s.shards[addr] = sh
	msgs := ps.ChannelWithSubscriptions()
	s.wg.Add(1)
	go s.receive(msgs)
	return sh, nil
}

// receive handles one shard's messages until its PubSub is closed.
func (s *subscriber) receive(msgs <-chan any) {
	defer s.wg.Done()
	for m := range msgs {
		switch m := m.(type) {
		case *goredis.Subscription:
			if m.Kind == "subscribe" || m.Kind == "ssubscribe" {
				s.confirm(m.Channel)
			}
		case *goredis.Message:
			s.message(m.Channel, m.Payload)
		}
	}
}

func (s *subscriber) confirm(channel string) {
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
		if sub.live {
			closeOnce(sub.confirmed)
		} else if !live {
			delete(s.channels, channel)
		}
	}
	s.mu.Unlock()
	if live {
		s.wake(name)
	}
}

func (s *subscriber) message(channel, payload string) {
	s.mu.Lock()
	sub := s.channels[channel]
	var name string
	if sub != nil && sub.refs > 0 {
		name = sub.name
	}
	s.mu.Unlock()
	if name != "" {
		s.heard(name, payload)
	}
}

// close ends every subscription and waits for the receivers to stop.
func (s *subscriber) close() {
	s.mu.Lock()
	s.closed = true
	if s.sweeper != nil {
		s.sweeper.Stop()
	}
	for _, sh := range s.shards {
		_ = sh.ps.Close()
	}
	for _, sub := range s.channels {
		closeOnce(sub.confirmed)
	}
	s.mu.Unlock()
	s.wg.Wait()
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
