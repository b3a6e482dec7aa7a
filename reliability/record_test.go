package reliability_test

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/batonlock/baton/lock"
)

// recorder keeps, as text, what a backend logged (it is a slog.Handler) and what it told
// its Observer, so that the vocabulary test can compare backends line by line. Attributes
// whose values differ by backend for the same event (fence, err) are kept as their key
// with the value "*"; the rest keep their value.
type recorder struct {
	mu      sync.Mutex
	records []record
	events  []string
	changed chan struct{} // closed and replaced on every new record or event
}

// record is one log record: its message and attributes, values already normalised.
type record struct {
	msg   string
	attrs map[string]string
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{})} }

// varying are the attributes whose values depend on the backend, not on the event.
var varying = map[string]bool{"fence": true, "err": true}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }

func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	attrs := make(map[string]string)
	rec.Attrs(func(a slog.Attr) bool {
		attrs[a.Key] = a.Value.String()
		if varying[a.Key] {
			attrs[a.Key] = "*"
		}
		return true
	})
	r.add(func() { r.records = append(r.records, record{msg: rec.Message, attrs: attrs}) })
	return nil
}

// WithAttrs and WithGroup keep what they add visible: a record logged through them shows
// the extra attributes, or the group, so the comparison notices them.
func (r *recorder) WithAttrs(as []slog.Attr) slog.Handler {
	return withAttrs{r, as}
}

func (r *recorder) WithGroup(name string) slog.Handler {
	return withAttrs{r, []slog.Attr{slog.String("group", name)}}
}

// withAttrs is a recorder whose records carry attrs too.
type withAttrs struct {
	*recorder
	attrs []slog.Attr
}

func (w withAttrs) Handle(ctx context.Context, rec slog.Record) error {
	rec = rec.Clone()
	rec.AddAttrs(w.attrs...)
	return w.recorder.Handle(ctx, rec)
}

// Observe records a lock event as "<kind> <name>: <err>".
func (r *recorder) Observe(e lock.Event) {
	line := fmt.Sprintf("%v %s", e.Kind, e.Name)
	if e.Err != nil {
		line += ": " + e.Err.Error()
	}
	r.add(func() { r.events = append(r.events, line) })
}

func (r *recorder) add(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f()
	close(r.changed)
	r.changed = make(chan struct{})
}

// logged waits for the first record with message msg about the lock called name and
// returns it as "<msg> key=value ...", keys sorted.
func (r *recorder) logged(t testing.TB, msg, name string) string {
	t.Helper()
	return r.await(t, msg+" about "+name, func() (string, bool) {
		for _, rec := range r.records {
			if rec.msg == msg && rec.attrs["lock"] == name {
				return rec.String(), true
			}
		}
		return "", false
	})
}

// observed waits for the first event of kind about the lock called name.
func (r *recorder) observed(t testing.TB, kind lock.EventKind, name string) string {
	t.Helper()
	prefix := fmt.Sprintf("%v %s", kind, name)
	return r.await(t, prefix, func() (string, bool) {
		for _, e := range r.events {
			if e == prefix || strings.HasPrefix(e, prefix+": ") {
				return e, true
			}
		}
		return "", false
	})
}

// await calls find, under r.mu, until it finds what it looks for.
func (r *recorder) await(t testing.TB, what string, find func() (string, bool)) string {
	t.Helper()
	timeout := time.After(eventually)
	for {
		r.mu.Lock()
		got, ok := find()
		changed := r.changed
		r.mu.Unlock()
		if ok {
			return got
		}
		select {
		case <-changed:
		case <-timeout:
			t.Fatalf("no %s after %v", what, eventually)
		}
	}
}

// all returns every record so far.
func (r *recorder) all() []record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.records)
}

func (rec record) String() string {
	s := rec.msg
	for _, k := range slices.Sorted(maps.Keys(rec.attrs)) {
		s += " " + k + "=" + rec.attrs[k]
	}
	return s
}

// keys returns the record as its message and sorted attribute keys.
func (rec record) keys() string {
	s := rec.msg
	for _, k := range slices.Sorted(maps.Keys(rec.attrs)) {
		s += " " + k
	}
	return s
}
