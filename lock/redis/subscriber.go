package redis

import (
	"context"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// subscriber is a node's pub/sub (PROTOCOL.md, "Messages"), shared by every name that has waiters in this
// process: one connection on a single server or Sentinel, one per hash slot in use on a
// cluster (shard.go says why). A channel is subscribed while some name's wait queue holds
// a reference to it, and unsubscribed when the last reference is dropped.
//
// A waiter must not sleep on a subscription the server has not confirmed, or a release
// published in between would be missed; so each channel counts the SUBSCRIBE commands still
// unanswered and closes confirmed when the last answer comes. Every answer also wakes the
// head of the name's queue, which then tries again: an answer that nobody asked for means
// the connection was re-established, and releases may have been published while it was
// down. Messages go to heard with the name they are about.
//
// Nothing here writes to the network under mu: acquire and release only queue commands,
// which each shard's pump writes. A waiter waits for confirmed within its own ctx and
// blocking window, so a subscription that stalls (go-redis dials a new connection under a
// lock of its own, for as long as the client's timeouts allow) holds up no Acquire.
type subscriber struct {
	client  goredis.UniversalClient
	cluster *goredis.ClusterClient // nil on a single server or Sentinel: one shard for all
	wake    func(name string)
	heard   func(name, payload string)
	onError func(op string, err error)
	ctx     context.Context // the pumps' writes; cancelled by close
	cancel  context.CancelFunc

	mu       sync.Mutex
	closed   bool
	shards   map[int]*shard // by hash slot on a cluster; slot 0 otherwise
	idle     int            // cluster shards that linger with no channel (shard_linger.go)
	channels map[string]*subscription
	wg       sync.WaitGroup // pumps and receivers
}

// closeWait bounds how long close waits for the pumps and receivers to stop. go-redis
// closes a PubSub only once the connection attempt it may be making ends, which on a
// stalled network takes as long as the client's dial and read timeouts; Close must not.
const closeWait = 500 * time.Millisecond

type subscription struct {
	name      string
	shard     *shard
	refs      int  // wait queues that want the channel
	pending   int  // SUBSCRIBE commands not yet confirmed
	live      bool // SUBSCRIBE queued, and no UNSUBSCRIBE since
	confirmed chan struct{}
}

// newSubscriber returns the subscriber of a node's client. Confirmations and messages that
// may mean a release go to wake and heard, errors to onError.
func newSubscriber(client goredis.UniversalClient, wake func(string), heard func(string, string), onError func(string, error)) *subscriber {
	cc, _ := client.(*goredis.ClusterClient)
	s := &subscriber{
		client:   client,
		cluster:  cc,
		wake:     wake,
		heard:    heard,
		onError:  onError,
		shards:   make(map[int]*shard),
		channels: make(map[string]*subscription),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

// acquire takes a reference on channel (subscribing when it is the first) and returns a
// channel that is closed once the server has confirmed the subscription. It does no I/O.
func (s *subscriber) acquire(channel, name string) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.channels[channel]
	if sub == nil {
		sub = &subscription{name: name, confirmed: make(chan struct{})}
		s.channels[channel] = sub
	}
	sub.refs++
	if sub.refs > 1 || sub.live || s.closed {
		return sub.confirmed // a live channel's is closed when its SUBSCRIBE is confirmed
	}
	if isClosed(sub.confirmed) {
		sub.confirmed = make(chan struct{})
	}
	if sub.shard == nil {
		sub.shard = s.shardFor(channel)
		sub.shard.subs[channel] = sub
	}
	sub.pending++
	sub.live = true
	sub.shard.queue(subOp{channel: channel, subscribe: true})
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

// confirm handles the answer to a SUBSCRIBE that ps, the current connection of sh, sent:
// ours, or go-redis's own after it reconnected.
func (s *subscriber) confirm(sh *shard, ps *goredis.PubSub, channel string) {
	s.mu.Lock()
	sub := s.channels[channel]
	if sub == nil || sub.shard != sh || !sh.current(ps) {
		s.mu.Unlock()
		return
	}
	if sub.pending > 0 {
		sub.pending--
	}
	name, wanted := sub.name, sub.refs > 0
	if sub.pending == 0 {
		if sub.live {
			closeOnce(sub.confirmed)
		} else if !wanted {
			s.forget(channel, sub)
		}
	}
	s.mu.Unlock()
	if wanted {
		s.wake(name)
	}
}

// unsubscribed handles an UNSUBSCRIBE or SUNSUBSCRIBE that reached ps, a connection of sh:
// the answer to one of ours, or, on a cluster, the server's word that the channel's slot
// has left the node. Then every channel of the slot is gone from the node: the shard's
// pump reopens it on the slot's new master and subscribes again, and the waiters on those
// channels try again at once (the lock's key has moved with the slot, maybe released).
func (s *subscriber) unsubscribed(sh *shard, ps *goredis.PubSub, channel string) {
	s.mu.Lock()
	if n := sh.unsubs[channel]; n > 0 {
		sh.settleUnsub(channel)
		s.mu.Unlock()
		return
	}
	if s.cluster == nil || s.closed || !sh.current(ps) {
		s.mu.Unlock()
		return
	}
	names := sh.moved(s)
	s.mu.Unlock()
	for _, name := range names {
		s.wake(name)
	}
}

// release drops a reference taken by acquire, and unsubscribes the channel with the last.
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
	if sub.live && !s.closed {
		sub.live = false
		sub.shard.queue(subOp{channel: channel})
	}
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

// close ends every subscription and waits, for at most closeWait, for the pumps and
// receivers to stop. Those stuck behind a connection attempt of go-redis stop when it
// ends; they write nothing more.
func (s *subscriber) close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	for _, sh := range s.shards {
		sh.poke()
	}
	for _, sub := range s.channels {
		closeOnce(sub.confirmed)
	}
	s.mu.Unlock()
	s.cancel()
	stopped := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(stopped)
	}()
	t := time.NewTimer(closeWait)
	defer t.Stop()
	select {
	case <-stopped:
	case <-t.C:
	}
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
