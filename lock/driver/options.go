package driver

import (
	"log/slog"
	"strings"

	"github.com/batonlock/baton/internal/lockopt"
	"github.com/batonlock/baton/lock"
)

// Options are the settings of one lock. Backends keep a set of defaults (DefaultOptions,
// changed by the URL or Config they were opened with) and apply each lock's lock.Option
// values on top with Resolve.
//
//   - Timeout frees the lock this long after it was acquired. 0 (the default) holds it until
//     Release; on Redis such a hold is kept alive by a renewed lease.
//   - Blocking is how long Acquire waits: lock.NoWait, lock.Forever (the default) or a
//     positive duration.
//   - Logger receives lost holds and backend errors. nil (the default) means slog.Default().
//   - Observer is the lock.Observer that receives the lock's events (read it with Notify);
//     nil (the default) reports nothing.
//   - Owner is the label stored with every hold (lock.WithOwner); Resolve turns "" into
//     "<hostname>/<pid>".
//   - Permits is how many holds of the name may exist at once (lock.WithPermits); Resolve
//     turns 0 into 1. A backend that could not bound the holders to n must refuse n > 1
//     in NewLock rather than admit more.
//   - Shared makes the holds shared (read) holds (lock.WithShared); false (the default) is
//     exclusive.
//   - Bad is the error of an option that was wrong as given; Validate reports it.
type Options lockopt.Options

// DefaultOptions returns the defaults every backend starts from: no timeout, wait forever.
func DefaultOptions() Options { return Options(lockopt.Default()) }

// Resolve validates name, applies opts on top of base and validates the result. Errors wrap
// lock.ErrInvalid and name the bad value.
func Resolve(name string, base Options, opts ...lock.Option) (Options, error) {
	if err := lock.ValidateName(name); err != nil {
		return Options{}, err
	}
	o := base
	(*lockopt.Options)(&o).Normalize()
	for _, opt := range opts {
		if opt == nil {
			return Options{}, Invalidf("lock %q: nil Option", name)
		}
		opt((*lockopt.Options)(&o))
	}
	if err := o.Validate(); err != nil {
		return Options{}, Invalidf("lock %q: %s", name, strings.TrimPrefix(err.Error(), lock.ErrInvalid.Error()+": "))
	}
	return o, nil
}

// Validate checks that the durations are in range.
func (o Options) Validate() error { return lockopt.Options(o).Validate() }

// Log returns the logger to use: Logger, or slog.Default() when it is nil.
func (o Options) Log() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.Default()
}

// Notify sends e to the observer, if there is one. Backends call it.
func (o Options) Notify(e lock.Event) {
	if ob, ok := o.Observer.(lock.Observer); ok && ob != nil {
		ob.Observe(e)
	}
}
