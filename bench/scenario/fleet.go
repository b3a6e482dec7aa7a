package scenario

import (
	"context"
	"errors"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/batonlock/baton/lock"
)

// BackendFleet makes a Target's Fleet from open, which must open a new, independent
// backend on the same server at every call (lock.Open of one URL, say): each of the n
// backends has its own connections and its own waiter queue, as a process of its own would.
// A timeout > 0 takes every hold with lock.WithTimeout(timeout).
func BackendFleet(open func(ctx context.Context) (lock.Backend, error)) func(context.Context, int, time.Duration) (Fleet, error) {
	return func(ctx context.Context, n int, timeout time.Duration) (Fleet, error) {
		var opts []lock.Option
		if timeout > 0 {
			opts = append(opts, lock.WithTimeout(timeout))
		}
		var bs []lock.Backend
		closeAll := func() error {
			var errs []error
			for _, b := range bs {
				errs = append(errs, b.Close())
			}
			return errors.Join(errs...)
		}
		f := Fleet{Close: closeAll}
		for i := 0; i < n; i++ {
			b, err := open(ctx)
			if err != nil {
				return Fleet{}, errors.Join(err, closeAll())
			}
			bs = append(bs, b)
			f.News = append(f.News, Backend("", b, opts...).New)
			f.Permits = append(f.Permits, BackendPermits(b, opts...))
		}
		return f, nil
	}
}

// RawFleet makes the Fleet of the raw go-redis baseline: n clients from newClient, one
// per worker, each on keys with prefix. The recipe's holds always carry its 30s TTL, so
// both hold modes run the same code.
func RawFleet(newClient func() (goredis.UniversalClient, error), prefix string) func(context.Context, int, time.Duration) (Fleet, error) {
	return func(_ context.Context, n int, _ time.Duration) (Fleet, error) {
		var cs []goredis.UniversalClient
		closeAll := func() error {
			var errs []error
			for _, c := range cs {
				errs = append(errs, c.Close())
			}
			return errors.Join(errs...)
		}
		f := Fleet{Close: closeAll}
		for i := 0; i < n; i++ {
			c, err := newClient()
			if err != nil {
				return Fleet{}, errors.Join(err, closeAll())
			}
			cs = append(cs, c)
			f.News = append(f.News, RawRedis(c, prefix).New)
		}
		return f, nil
	}
}
