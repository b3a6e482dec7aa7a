package reliability_test

import (
	"context"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/internal/redistest"
	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/driver"
	"github.com/batonlock/baton/lock/local"
	"github.com/batonlock/baton/lock/quorum"
	redislock "github.com/batonlock/baton/lock/redis"
)

// vocabTarget is a backend the vocabulary test speaks to, with what it needs of the
// backend's server beyond the contract. A target without a server (local://) has nil del
// and fail, and skips the events that only a server can cause.
type vocabTarget struct {
	open func(t *testing.T, rec *recorder) lock.Backend
	del  func(t *testing.T, key string) // deletes a key on the server, as an operator could
	fail func(t *testing.T)             // makes every later call to the server fail
	// saysWhy: Release and Extend of a lost hold say why it was lost (issue 16). Every
	// target does now; the flag stays for a backend that is added before it does.
	saysWhy bool
}

// vocabLease is the lease of the Redis targets: short, so that a lease that cannot be
// renewed is lost within the test, and a few renewals long.
const vocabLease = 2 * time.Second

// vocabTargets are local://, miniredis, a redis-server and a quorum of three miniredis.
func vocabTargets() map[string]func(t *testing.T) vocabTarget {
	redisOpen := func(c goredis.UniversalClient, opts ...redislock.Option) func(*testing.T, *recorder) lock.Backend {
		return func(t *testing.T, rec *recorder) lock.Backend {
			opts := append([]redislock.Option{redislock.WithLogger(slog.New(rec)), redislock.WithPrefix("vocab:"),
				redislock.WithLease(vocabLease)}, opts...)
			return newBackend(t, c, opts...)
		}
	}
	del := func(cs ...goredis.UniversalClient) func(*testing.T, string) {
		return func(t *testing.T, key string) {
			for _, c := range cs {
				require.NoError(t, c.Del(context.Background(), key).Err())
			}
		}
	}
	return map[string]func(t *testing.T) vocabTarget{
		"local": func(*testing.T) vocabTarget {
			return vocabTarget{saysWhy: true, open: func(t *testing.T, rec *recorder) lock.Backend {
				b := local.New(driver.Options{Blocking: lock.Forever, Logger: slog.New(rec)})
				t.Cleanup(func() { _ = b.Close() })
				return b
			}}
		},
		"miniredis": func(t *testing.T) vocabTarget {
			m := redistest.StartMini(t)
			c := newClient(t, m.Addr())
			return vocabTarget{saysWhy: true, open: redisOpen(c), del: del(c),
				fail: func(*testing.T) { m.SetError("ERR vocab: out of order") }}
		},
		"redis-server": func(t *testing.T) vocabTarget {
			s := redistest.Start(t)
			c := newClient(t, s.Addr())
			return vocabTarget{saysWhy: true, open: redisOpen(c), del: del(c), fail: func(*testing.T) { s.Kill() }}
		},
		"quorum": func(t *testing.T) vocabTarget {
			var ms []interface{ SetError(string) }
			var cs []goredis.UniversalClient
			for range 3 {
				m := redistest.StartMini(t)
				ms = append(ms, m)
				cs = append(cs, newClient(t, m.Addr()))
			}
			open := func(t *testing.T, rec *recorder) lock.Backend {
				b, err := quorum.New(cs, quorum.WithLogger(slog.New(rec)), quorum.WithPrefix("vocab:"),
					quorum.WithLease(vocabLease))
				require.NoError(t, err)
				t.Cleanup(func() { _ = b.Close() })
				return b
			}
			return vocabTarget{saysWhy: true, open: open, del: del(cs...), fail: func(*testing.T) {
				for _, m := range ms {
					m.SetError("ERR vocab: out of order")
				}
			}}
		},
	}
}

// TestOneVocabulary: the same events on every backend return the same errors and log the
// same records (message, attribute keys, and the values that do not depend on the
// backend), and tell the Observer the same. An alert rule or a log parser written against
// local:// in tests works against Redis in production.
func TestOneVocabulary(t *testing.T) {
	for name, target := range vocabTargets() {
		t.Run(name, func(t *testing.T) {
			tg := target(t)
			rec := newRecorder()
			for _, step := range vocabSteps {
				if step.server && tg.del == nil {
					continue
				}
				b := tg.open(t, rec)
				assert.Equal(t, step.wantOf(tg), step.run(t, tg, b, rec), step.name)
			}
			for _, r := range rec.all() {
				assert.Contains(t, vocabRecords, r.keys(), "a record outside the vocabulary: %s", r)
			}
		})
	}
}

// vocabRecords are the records a backend may log, as their message and attribute keys.
var vocabRecords = []string{
	"lock: hold lost cause fence lock",
	"lock: backend call failed err lock op",
	"lock: backend call failed err op", // the backend's own call (its subscription), not a lock's
}

// vocabStep is one event the test causes on every target, and what every target must say.
type vocabStep struct {
	name   string
	server bool // only a backend with a server can cause it
	run    func(t *testing.T, tg vocabTarget, b lock.Backend, rec *recorder) []string
	want   []string
	// why replaces lines of want (by index) on a target that says why a hold was lost.
	why map[int]string
}

// wantOf is what the step must return on tg.
func (s vocabStep) wantOf(tg vocabTarget) []string {
	if !tg.saysWhy {
		return s.want
	}
	want := append([]string(nil), s.want...)
	for i, line := range s.why {
		want[i] = line
	}
	return want
}

var vocabSteps = []vocabStep{
	{name: "timeout ended", run: stepTimeout, want: []string{
		`lock: hold lost cause=the timeout of 150ms ended fence=* lock=vocab:expire`,
		`lost vocab:expire: the timeout of 150ms ended`,
		`release: lock "vocab:expire": release: lock: not held`,
		`extend: lock "vocab:expire": extend: lock: not held`,
	}, why: map[int]string{
		2: `release: lock "vocab:expire": release: lock: not held (lock: hold lost: the timeout of 150ms ended)`,
		3: `extend: lock "vocab:expire": extend: lock: not held (lock: hold lost: the timeout of 150ms ended)`,
	}},
	{name: "held by another", run: stepBusy, want: []string{
		`blocking: lock "vocab:busy": acquire: still held after 500ms: lock: not acquired`,
		`not_acquired vocab:busy: lock "vocab:busy": acquire: still held after 500ms: lock: not acquired`,
		`no wait: lock "vocab:busy": acquire: held elsewhere: lock: not acquired`,
		`ctx done: lock "vocab:busy": acquire: context canceled`,
		`release: lock "vocab:busy": release: lock: not held`,
		`extend by 0: lock: invalid argument: lock "vocab:busy": extend by 0s: the ttl must be at least lock.MinTimeout (1ms): Redis expires keys in whole milliseconds`,
	}},
	{name: "backend closed", run: stepClose, want: []string{
		`lock: hold lost cause=lock: backend closed fence=* lock=vocab:close`,
		`acquire: lock "vocab:close": acquire: lock: backend closed`,
		`release: lock "vocab:close": release: lock: backend closed`,
		`new lock: lock "vocab:new": new lock: lock: backend closed`,
	}, why: map[int]string{
		2: `release: lock "vocab:close": release: lock: not held (lock: hold lost: lock: backend closed)`,
	}},
	{name: "key deleted", server: true, run: stepTaken, want: []string{
		`extend: lock "vocab:taken": extend: lock: not held`,
		`lock: hold lost cause=the key was deleted or taken by another owner fence=* lock=vocab:taken`,
		`lost vocab:taken: the key was deleted or taken by another owner`,
	}, why: map[int]string{
		0: `extend: lock "vocab:taken": extend: lock: not held (lock: hold lost: the key was deleted or taken by another owner)`,
	}},
	{name: "server fails", server: true, run: stepFail, want: []string{
		`locked: lock "vocab:locked": locked: *`,
		`lock: backend call failed err=* lock=vocab:locked op=locked`,
		`lock: backend call failed err=* lock=vocab:lease op=renew`,
		`lock: hold lost cause=the lease was not renewed in time* fence=* lock=vocab:lease`,
		`lost vocab:lease: the lease was not renewed in time*`,
		`release: lock "vocab:lease": release: lock: not held`,
	}, why: map[int]string{
		5: `release: lock "vocab:lease": release: lock: not held (lock: hold lost: the lease was not renewed in time*)`,
	}},
}

func stepTimeout(t *testing.T, _ vocabTarget, b lock.Backend, rec *recorder) []string {
	ctx := testCtx(t)
	l := newLock(t, b, "vocab:expire", lock.WithTimeout(150*time.Millisecond), lock.WithObserver(rec))
	require.NoError(t, l.Acquire(ctx))
	waitClosed(t, l.Lost(), "the timed hold's Lost")
	return []string{
		rec.logged(t, "lock: hold lost", "vocab:expire"),
		rec.observed(t, lock.Lost, "vocab:expire"),
		"release: " + errText(l.Release(ctx)),
		"extend: " + errText(l.Extend(ctx, time.Second)),
	}
}

func stepBusy(t *testing.T, _ vocabTarget, b lock.Backend, rec *recorder) []string {
	ctx := testCtx(t)
	holder := newLock(t, b, "vocab:busy")
	require.NoError(t, holder.Acquire(ctx))
	// 500ms, not less: a try still in flight when the window ends would say the server
	// did not answer, and on a loaded machine a first try can take a while.
	waiter := newLock(t, b, "vocab:busy", lock.WithBlocking(500*time.Millisecond), lock.WithObserver(rec))
	once := newLock(t, b, "vocab:busy", lock.WithBlocking(lock.NoWait))
	done, cancel := context.WithCancel(ctx)
	cancel()
	lines := []string{
		"blocking: " + errText(waiter.Acquire(ctx)),
		rec.observed(t, lock.NotAcquired, "vocab:busy"),
		"no wait: " + errText(once.Acquire(ctx)),
		"ctx done: " + errText(waiter.Acquire(done)),
		"release: " + errText(waiter.Release(ctx)),
		"extend by 0: " + errText(holder.Extend(ctx, 0)),
	}
	require.NoError(t, holder.Release(ctx))
	return lines
}

func stepClose(t *testing.T, _ vocabTarget, b lock.Backend, rec *recorder) []string {
	ctx := testCtx(t)
	l := newLock(t, b, "vocab:close")
	require.NoError(t, l.Acquire(ctx))
	require.NoError(t, b.Close())
	_, err := b.NewLock("vocab:new")
	return []string{
		rec.logged(t, "lock: hold lost", "vocab:close"),
		"acquire: " + errText(l.Acquire(ctx)),
		"release: " + errText(l.Release(ctx)),
		"new lock: " + errText(err),
	}
}

func stepTaken(t *testing.T, tg vocabTarget, b lock.Backend, rec *recorder) []string {
	ctx := testCtx(t)
	l := newLock(t, b, "vocab:taken", lock.WithObserver(rec))
	require.NoError(t, l.Acquire(ctx))
	tg.del(t, "vocab:{vocab:taken}")
	return []string{
		"extend: " + errText(l.Extend(ctx, time.Second)),
		rec.logged(t, "lock: hold lost", "vocab:taken"),
		rec.observed(t, lock.Lost, "vocab:taken"),
	}
}

// stepFail: the server stops answering, or answers only errors. The errors come from the
// server or the network and differ by backend: they are cut off (*).
func stepFail(t *testing.T, tg vocabTarget, b lock.Backend, rec *recorder) []string {
	ctx := testCtx(t)
	leased := newLock(t, b, "vocab:lease", lock.WithObserver(rec))
	require.NoError(t, leased.Acquire(ctx))
	tg.fail(t)
	_, err := newLock(t, b, "vocab:locked").Locked(ctx)
	require.Error(t, err)
	locked, _, _ := strings.Cut(err.Error(), "locked: ")
	waitClosed(t, leased.Lost(), "the lease that cannot be renewed")
	return []string{
		"locked: " + locked + "locked: *",
		rec.logged(t, "lock: backend call failed", "vocab:locked"),
		rec.logged(t, "lock: backend call failed", "vocab:lease"),
		notRenewed.ReplaceAllString(rec.logged(t, "lock: hold lost", "vocab:lease"), "$1*$3"),
		notRenewed.ReplaceAllString(rec.observed(t, lock.Lost, "vocab:lease"), "$1*$3"),
		notRenewed.ReplaceAllString("release: "+errText(leased.Release(ctx)), "$1*$3"),
	}
}

// notRenewed matches the cause of a lease that was not renewed, and the last error, if
// any, of its renewals: the server's or the network's words (up to the parenthesis that
// closes the cause in a Release's error), on several lines when a quorum joins its nodes'.
var notRenewed = regexp.MustCompile(`(?s)(the lease was not renewed in time)(: .*?)?( fence=|\)?$)`)

func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}
