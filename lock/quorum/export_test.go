package quorum

import goredis "github.com/redis/go-redis/v9"

// State reports how much per-name state the backend keeps in the process: wait queues,
// registered holds and, summed over the nodes, pub/sub channels. Tests use it to check that
// nothing is left behind.
func (b *Backend) State() (queues, holds, channels int) {
	b.mu.Lock()
	queues, holds = len(b.queues), len(b.holds)
	b.mu.Unlock()
	for _, s := range b.subs {
		channels += s.channelCount()
	}
	return
}

// DeadlinesHonoured reports, for each node's client, whether it has ContextTimeoutEnabled.
func (b *Backend) DeadlinesHonoured() []bool {
	var on []bool
	for _, c := range b.clients {
		cc, ok := c.(*goredis.Client)
		on = append(on, ok && cc.Options().ContextTimeoutEnabled)
	}
	return on
}
