package scenario

import (
	"context"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redistest"
)

// BenchmarkRoundTrip measures a go-redis PING against a real redis-server in two states:
// "idle", after 2 ms in which neither side did anything, and "busy", back to back. The
// release of a handoff2 round starts from the idle state: the releaser slept through its
// section, and baton's waiter sleeps on its subscription. In the raw recipe's round the
// waiter spins on SET NX, so the server and the process never go idle. docs/BENCHMARKS.md
// ("Hand-off across processes") takes the handoff2 figure apart with it:
//
//	go test -run '^$' -bench 'RoundTrip|Wake' ./bench/scenario/
func BenchmarkRoundTrip(b *testing.B) {
	s := redistest.Start(b)
	c := goredis.NewClient(&goredis.Options{Addr: s.Addr()})
	b.Cleanup(func() { _ = c.Close() })
	ctx := context.Background()
	require.NoError(b, c.Ping(ctx).Err())
	for _, tc := range []struct {
		name string
		idle time.Duration
	}{{"idle", 2 * time.Millisecond}, {"busy", 0}} {
		b.Run(tc.name, func(b *testing.B) {
			trips := make([]time.Duration, 0, b.N)
			for b.Loop() {
				if tc.idle > 0 {
					b.StopTimer()
					time.Sleep(tc.idle)
					b.StartTimer()
				}
				t0 := time.Now()
				if err := c.Ping(ctx).Err(); err != nil {
					b.Fatal(err)
				}
				trips = append(trips, time.Since(t0))
			}
			p50, p99 := percentiles(trips)
			b.ReportMetric(float64(p50.Nanoseconds())/1e3, "p50-µs")
			b.ReportMetric(float64(p99.Nanoseconds())/1e3, "p99-µs")
		})
	}
}

// BenchmarkWake measures the floor of a hand-off between processes in which the waiter is
// woken by a message rather than polling: after 2 ms in which neither side did anything,
// one client PUBLISHes and the time until a second client's go-redis subscription delivers
// the message is taken. A waiter that holds on the release's message (PROTOCOL.md, "Server
// grant") cannot be woken sooner than this; the raw recipe's waiter, spinning on SET NX,
// is never asleep. docs/BENCHMARKS.md ("Hand-off across processes") compares handoff2 with it.
func BenchmarkWake(b *testing.B) {
	s := redistest.Start(b)
	pub := goredis.NewClient(&goredis.Options{Addr: s.Addr()})
	sub := goredis.NewClient(&goredis.Options{Addr: s.Addr()})
	b.Cleanup(func() { _ = pub.Close(); _ = sub.Close() })
	ctx := context.Background()
	ps := sub.Subscribe(ctx, "wake")
	b.Cleanup(func() { _ = ps.Close() })
	_, err := ps.Receive(ctx) // the subscription's confirmation
	require.NoError(b, err)
	msgs := ps.Channel()
	heard := make(chan time.Time, 1) // when the subscriber's goroutine got each message
	go func() {
		for range msgs {
			heard <- time.Now()
		}
	}()
	wakes := make([]time.Duration, 0, b.N)
	for b.Loop() {
		b.StopTimer()
		time.Sleep(2 * time.Millisecond)
		b.StartTimer()
		t0 := time.Now()
		if err := pub.Publish(ctx, "wake", "released").Err(); err != nil {
			b.Fatal(err)
		}
		select {
		case t1 := <-heard:
			wakes = append(wakes, t1.Sub(t0))
		case <-time.After(time.Second):
			b.Fatal("no message within a second")
		}
	}
	p50, p99 := percentiles(wakes)
	b.ReportMetric(float64(p50.Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(p99.Nanoseconds())/1e3, "p99-µs")
}
