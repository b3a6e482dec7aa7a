package redistest

import (
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
)

// Miniredis's clock moves only with FastForward, so StartMini steps it every MiniTick.
// FastForward takes the whole tick off every key's TTL, even a key set in the middle of it,
// so a key can expire up to a tick (plus scheduling delays) early: backends on it use
// MiniDrift as their drift margin.
const (
	MiniTick  = 2 * time.Millisecond
	MiniDrift = 15 * time.Millisecond
)

// StartMini starts a miniredis whose clock follows real time, stopped when t ends.
func StartMini(t testing.TB) *miniredis.Miniredis {
	m := miniredis.RunT(t)
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(MiniTick)
		defer tick.Stop()
		last := time.Now()
		for {
			select {
			case <-stop:
				return
			case now := <-tick.C:
				m.FastForward(now.Sub(last))
				last = now
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-done })
	return m
}
