package redis_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/batonlock/baton/lock"
)

// TestStressMixedWaiters: goroutines on two backends take one name with a mix of blocking
// windows, cancelled contexts and timeouts, so that hand-offs meet waiters that give up.
// No two holds overlap, fences grow in hold order, and every goroutine finishes.
func TestStressMixedWaiters(t *testing.T) {
	servers(t, func(t *testing.T, addr string) {
		ctx := testCtx(t)
		backends := []lock.Backend{newBackend(t, newClient(t, addr)), newBackend(t, newClient(t, addr))}
		var (
			inside, overlaps, held, gaveUp atomic.Int64
			fenceMu                        sync.Mutex
			lastFence                      uint64
			fenceErrors                    int
			wg                             sync.WaitGroup
		)
		for g := 0; g < 12; g++ {
			var opts []lock.Option
			switch g % 3 {
			case 1:
				opts = append(opts, lock.WithBlocking(time.Duration(1+g)*time.Millisecond))
			case 2:
				opts = append(opts, lock.WithTimeout(5*time.Second))
			}
			l := newLock(t, backends[g%2], "stress", opts...)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 25; i++ {
					c, cancel := ctx, context.CancelFunc(func() {})
					if rand.IntN(4) == 0 {
						c, cancel = context.WithTimeout(ctx, time.Duration(rand.IntN(3000))*time.Microsecond)
					}
					err := l.Acquire(c)
					cancel()
					if err != nil {
						if !assert.True(t, errors.Is(err, lock.ErrNotAcquired) || errors.Is(err, context.DeadlineExceeded), "%v", err) {
							return
						}
						gaveUp.Add(1)
						continue
					}
					if inside.Add(1) != 1 {
						overlaps.Add(1)
					}
					fenceMu.Lock()
					if f := l.Fence(); f <= lastFence {
						fenceErrors++
					} else {
						lastFence = f
					}
					fenceMu.Unlock()
					time.Sleep(time.Duration(rand.IntN(300)) * time.Microsecond)
					inside.Add(-1)
					held.Add(1)
					if !assert.NoError(t, l.Release(ctx)) {
						return
					}
				}
			}()
		}
		wg.Wait()
		t.Logf("%d holds, %d gave up", held.Load(), gaveUp.Load())
		assert.Zero(t, overlaps.Load(), "overlapping holds")
		assert.Zero(t, fenceErrors, "fences out of hold order")
		assert.Positive(t, held.Load())
		for _, b := range backends {
			assert.Eventually(t, func() bool {
				q, h, ch := b.(interface{ State() (int, int, int) }).State()
				return q == 0 && h == 0 && ch == 0
			}, eventually, 10*time.Millisecond, "state left behind")
		}
	})
}
