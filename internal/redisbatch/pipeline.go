package redisbatch

import (
	"context"
	"time"
)

// The pipelines of queued calls: who flushes them, and how their replies are handed out.

// finish ends a call that went straight to the client: if calls queued up meanwhile, a
// goroutine flushes them (and whatever queues after them) and keeps the slot; otherwise
// the slot is freed.
func (b *Batcher) finish() {
	b.mu.Lock()
	batch := b.take()
	if batch == nil || b.closed {
		b.busy--
		b.mu.Unlock()
		b.fail(batch) // Close came first
		return
	}
	b.wg.Add(1)
	b.mu.Unlock()
	go b.drain(batch)
}

// take empties the queue and returns the calls to flush, nil when there are none; b.mu is
// held.
func (b *Batcher) take() []*call {
	if len(b.queue) == 0 {
		return nil
	}
	batch := b.queue
	b.queue = b.spare[:0]
	b.spare = nil
	for _, c := range batch {
		c.sent = true
	}
	b.flying[batch[0].done] = struct{}{}
	return batch
}

// land wakes the calls of a batch taken from the queue, which now have their replies or
// errors, and ends its flight.
func (b *Batcher) land(batch []*call) {
	if len(batch) == 0 {
		return
	}
	b.mu.Lock()
	delete(b.flying, batch[0].done)
	b.mu.Unlock()
	for _, c := range batch {
		close(c.done)
	}
}

// fail answers calls taken from the queue, never sent, with ErrClosed.
func (b *Batcher) fail(batch []*call) {
	for _, c := range batch {
		c.cmd.SetErr(ErrClosed)
	}
	b.land(batch)
}

func (b *Batcher) drain(batch []*call) {
	defer b.wg.Done()
	for {
		b.flush(batch)
		clear(batch)
		b.mu.Lock()
		if b.spare == nil {
			b.spare = batch[:0]
		}
		batch = b.take()
		if batch == nil || b.closed {
			b.busy--
			b.mu.Unlock()
			b.fail(batch)
			return
		}
		b.mu.Unlock()
	}
}

// flush sends batch in one pipeline, bounded by the latest of the calls' deadlines, and
// wakes each call.
func (b *Batcher) flush(batch []*call) {
	defer b.land(batch)
	ctx := b.ctx
	var latest time.Time
	for _, c := range batch {
		d, ok := c.ctx.Deadline()
		if !ok {
			latest = time.Time{}
			break
		}
		if d.After(latest) {
			latest = d
		}
	}
	if !latest.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, latest)
		defer cancel()
	}
	if len(batch) == 1 {
		_ = b.client.Process(ctx, batch[0].cmd)
	} else {
		pipe := b.client.Pipeline()
		for _, c := range batch {
			_ = pipe.Process(ctx, c.cmd)
		}
		_, _ = pipe.Exec(ctx)
	}
}
