// Package lock is baton's contract for named locks: the Locker a service holds, the Backend
// that makes them, the options they take, the errors they return, and Open, which picks a
// backend from a configuration URL.
//
// A service opens one Backend from its configuration and takes locks by name:
//
//	b, err := lock.OpenEnv(ctx, "BATON_LOCK_URL") // "local://" in tests, "redis://redis:6379/0" in production; unset is an error
//	l, err := b.NewLock("invoice:42", lock.WithTimeout(30*time.Second), lock.WithBlocking(2*time.Second))
//	err = lock.Do(ctx, l, func(ctx context.Context) error { ... }) // ctx ends if the hold is lost
//
// Drivers (built on package lock/driver) register URL schemes in init, as database/sql
// drivers do: import
// github.com/batonlock/baton/lock/local for "local://" and github.com/batonlock/baton/lock/redis
// for "redis://". Swapping one for the other is a configuration change, never a code change,
// because every backend passes the same conformance suite (package locktest):
//
//   - Mutual exclusion: at most one handle holds a name at any instant.
//   - Each acquisition gets a fresh owner token and a fencing token (Fence) that grows with
//     every acquisition of the name; a stale handle can never free or extend a newer hold.
//   - Acquire waits as WithBlocking says (NoWait, Forever, or a duration). It returns
//     ErrNotAcquired when that window ends, and an error that errors.Is ctx's error when ctx
//     ends: never ambiguous. Waiters are woken by the release itself, in arrival order within
//     a process; nothing polls on a fixed interval.
//   - A hold with WithTimeout(d) ends by itself after d. Lost() is closed, and Do's ctx is
//     cancelled with cause ErrLost, before another holder can exist: on expiry, on a failed
//     lease renewal, when the key was deleted or taken, or on Close.
//   - Bad input (an empty name, a negative duration, an unknown scheme, a malformed URL) is
//     an ErrInvalid error that says what was wrong. Nothing panics on user input.
//   - A backend keeps state for a name only while it is held or waited on.
//   - Fences compare only within one backend: local:// fences restart with the process, and
//     two Redis deployments (or prefixes) count separately.
//
// A Locker is safe for concurrent use and behaves like a sync.Mutex: a second Acquire on a
// handle that holds the lock waits for it. Distinct handles on the same name exclude each
// other as distinct processes do.
//
// Beyond one holder: WithPermits(n) lets n holds of a name exist at once (a counting
// semaphore), WithShared makes read holds that exclude only writers, All takes several locks
// in name order or none, WithOwner labels the holds that Inspect reports, and Release or
// Extend of a lost hold says why it was lost (ErrNotHeld and ErrLost). Every rule above holds
// per hold.
package lock
