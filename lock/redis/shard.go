package redis

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/batonlock/baton/internal/redisscript"
	goredis "github.com/redis/go-redis/v9"
)

// shard is one pub/sub connection of the subscriber, and the goroutine (its pump) that
// writes its SUBSCRIBE and UNSUBSCRIBE commands in the order they were asked for, so that
// no caller waits on the network.
//
// On a cluster there is one shard per hash slot that has channels, for two reasons. When
// go-redis reconnects a PubSub it resubscribes all its channels in one SSUBSCRIBE, which
// Redis refuses (CROSSSLOT) when they span slots: every subscription on the connection
// would be gone. And a slot that moves to another master takes all its channels with it:
// the server unsubscribes them, and the shard moves after them as a whole.
type shard struct {
	slot int
	kick chan struct{} // the pump has work: commands, a move, or closing

	// guarded by the subscriber's mu
	ops       []subOp
	subs      map[string]*subscription // the channels on the shard
	unsubs    map[string]int           // answers due to our UNSUBSCRIBE commands, by channel
	ps        *goredis.PubSub          // nil until the pump first needs it
	reopen    bool                     // the slot left ps's node: open it on the new master
	gen       int                      // counts moves: commands queued before one are void
	lingering                          // shard_linger.go
}

type subOp struct {
	channel   string
	subscribe bool
	gen       int
}

// writeWait bounds each command a pump writes, and the search for a moved slot's master.
const writeWait = 3 * time.Second

// shardFor returns the shard of channel, starting its pump when it is new; s.mu is held.
func (s *subscriber) shardFor(channel string) *shard {
	slot := 0
	if s.cluster != nil {
		slot = int(redisscript.Slot(channel)) // one SSUBSCRIBE may only name channels of one slot
	}
	sh := s.shards[slot]
	if sh == nil {
		sh = &shard{slot: slot, kick: make(chan struct{}, 1), subs: make(map[string]*subscription), unsubs: make(map[string]int)}
		s.shards[slot] = sh
		s.wg.Add(1)
		go s.pump(sh)
	}
	s.reuse(sh)
	return sh
}

// queue hands a command to the pump; s.mu is held.
func (sh *shard) queue(op subOp) {
	op.gen = sh.gen
	sh.ops = append(sh.ops, op)
	if !op.subscribe {
		sh.unsubs[op.channel]++
	}
	sh.poke()
}

func (sh *shard) poke() {
	select {
	case sh.kick <- struct{}{}:
	default:
	}
}

// current reports whether ps is the shard's connection, still on the slot's node.
func (sh *shard) current(ps *goredis.PubSub) bool { return ps == sh.ps && !sh.reopen }

// settleUnsub counts an answer to one of our UNSUBSCRIBE commands, or one that never came.
func (sh *shard) settleUnsub(channel string) {
	if sh.unsubs[channel]--; sh.unsubs[channel] <= 0 {
		delete(sh.unsubs, channel)
	}
}

// moved records that the server dropped the shard's slot from ps's node, and returns the
// names whose waiters must try again; s.mu is held. The commands queued so far were for the
// old node: they are replaced by one SUBSCRIBE of every live channel, on the new master.
func (sh *shard) moved(s *subscriber) []string {
	sh.reopen = true
	sh.gen++
	sh.ops = nil
	clear(sh.unsubs)
	var names []string
	for channel, sub := range sh.subs {
		if !sub.live {
			if sub.pending = 0; sub.refs == 0 {
				s.forget(channel, sub)
			}
			continue
		}
		sub.pending = 1
		if isClosed(sub.confirmed) {
			sub.confirmed = make(chan struct{})
		}
		sh.ops = append(sh.ops, subOp{channel: channel, subscribe: true, gen: sh.gen})
		if sub.refs > 0 {
			names = append(names, sub.name)
		}
	}
	sh.poke()
	return names
}

// pump writes the shard's commands until the subscriber closes or, on a cluster, the shard
// has no channel left; then it closes the shard's connection.
func (s *subscriber) pump(sh *shard) {
	defer s.wg.Done()
	for range sh.kick {
		ops, stop := s.next(sh)
		if stop {
			s.mu.Lock()
			ps := sh.ps
			sh.stopLinger()
			s.mu.Unlock()
			if ps != nil {
				_ = ps.Close()
			}
			return
		}
		for _, op := range ops {
			s.write(sh, op)
		}
		if len(ops) > 0 {
			sh.poke() // look again: the shard may have no channel left (shard_linger.go)
		}
	}
}

// next takes the commands queued for sh. stop is true when the pump must end: the
// subscriber is closed, or sh is a cluster's shard with no channel (it leaves s.shards).
func (s *subscriber) next(sh *shard) (ops []subOp, stop bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, true
	}
	if s.cluster != nil && len(sh.subs) == 0 && len(sh.ops) == 0 {
		return nil, s.lingerOrStop(sh)
	}
	ops, sh.ops = sh.ops, nil
	return ops, false
}

// write sends one command, unless a move made it void, and settles what a failure leaves.
func (s *subscriber) write(sh *shard, op subOp) {
	s.mu.Lock()
	void := op.gen != sh.gen
	s.mu.Unlock()
	if void {
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, writeWait)
	defer cancel()
	err := s.send(ctx, sh, op)
	if err == nil {
		return
	}
	s.mu.Lock()
	if !op.subscribe {
		sh.settleUnsub(op.channel)
	} else if sub := s.channels[op.channel]; sub != nil && sub.shard == sh && op.gen == sh.gen {
		// Never confirmed: the waiters fall back on the key's TTL, unless go-redis, which
		// has recorded the channel, subscribes it when it reconnects.
		if sub.pending > 0 {
			sub.pending--
		}
		if sub.pending == 0 && !sub.live && sub.refs == 0 {
			s.forget(op.channel, sub)
		}
	}
	s.mu.Unlock()
	if op.subscribe && s.ctx.Err() == nil {
		s.onError("subscribe", err)
	}
}

func (s *subscriber) send(ctx context.Context, sh *shard, op subOp) error {
	ps, err := s.conn(ctx, sh, op.channel)
	if err != nil {
		return err
	}
	if !op.subscribe {
		if s.cluster != nil {
			return ps.SUnsubscribe(ctx, op.channel)
		}
		return ps.Unsubscribe(ctx, op.channel)
	}
	subscribe := ps.Subscribe
	if s.cluster != nil {
		subscribe = ps.SSubscribe
	}
	// A failed write makes go-redis reconnect and resubscribe before it records the new
	// channel, so the channel would be left out: send it once more on the new connection.
	if err := subscribe(ctx, op.channel); err == nil {
		return nil
	}
	return subscribe(ctx, op.channel)
}

// conn returns the shard's connection, opening it (again, after a move) when it must.
func (s *subscriber) conn(ctx context.Context, sh *shard, channel string) (*goredis.PubSub, error) {
	s.mu.Lock()
	ps, reopen := sh.ps, sh.reopen
	s.mu.Unlock()
	if ps != nil && !reopen && !s.movedWhileIdle(ctx, sh, channel) {
		return ps, nil
	}
	if ps != nil {
		_ = ps.Close() // the slot left its node; ps's receiver ends
		s.mu.Lock()
		sh.reopen = true // if no master is found below, the next write opens one anew
		s.mu.Unlock()
	}
	var node *goredis.Client
	if s.cluster == nil {
		ps = s.client.Subscribe(context.Background())
	} else {
		var err error
		if node, err = s.master(ctx, channel); err != nil {
			return nil, err
		}
		ps = node.SSubscribe(context.Background())
	}
	s.mu.Lock()
	sh.ps, sh.reopen, sh.node, sh.recheck = ps, false, node, false
	s.mu.Unlock()
	s.wg.Add(1)
	go s.receive(sh, ps, ps.ChannelWithSubscriptions())
	return ps, nil
}

// master returns the master that serves channel's slot: the owner is the one that answers a
// read in the slot (EXISTS) instead of redirecting it. It asks the master of the client's map
// of slots first; after a move that map may be stale (go-redis refreshes it in the
// background, and a SSUBSCRIBE on the old master would never be confirmed), and then it asks
// every master. While the slot is still being handed over, none may answer yet: it asks
// again, with backoff, until ctx ends.
func (s *subscriber) master(ctx context.Context, channel string) (*goredis.Client, error) {
	if m, err := s.cluster.MasterForKey(ctx, channel); err == nil && m.Exists(ctx, channel).Err() == nil {
		return m, nil
	}
	for backoff := minRetry; ; backoff = min(2*backoff, maxRetry/4) {
		var mu sync.Mutex
		var owner *goredis.Client
		err := s.cluster.ForEachMaster(ctx, func(ctx context.Context, c *goredis.Client) error {
			if c.Exists(ctx, channel).Err() == nil {
				mu.Lock()
				owner = c
				mu.Unlock()
			}
			return nil
		})
		if owner != nil {
			return owner, nil
		}
		if err == nil {
			err = fmt.Errorf("no master serves the slot of %q", channel)
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, errors.Join(err, ctx.Err())
		case <-t.C:
		}
	}
}

// receive handles the messages of one connection of sh until it is closed.
func (s *subscriber) receive(sh *shard, ps *goredis.PubSub, msgs <-chan any) {
	defer s.wg.Done()
	for m := range msgs {
		switch m := m.(type) {
		case *goredis.Subscription:
			switch m.Kind {
			case "subscribe", "ssubscribe":
				s.confirm(sh, ps, m.Channel)
			case "unsubscribe", "sunsubscribe":
				s.unsubscribed(sh, ps, m.Channel)
			}
		case *goredis.Message:
			s.message(m.Channel, m.Payload)
		}
	}
}
