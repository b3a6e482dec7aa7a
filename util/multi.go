package util

import (
	"cmp"
	"context"
	"fmt"
	"reflect"
	"slices"

	"github.com/batonlock/baton/future"
)

// Multi waits for every item of a slice (or array) or a map
// whose elements are futures of T or plain T values (as MaybeAsync takes them; []any and
// map[K]any may mix both), and resolves with one slot per item.
//
// With raiseOnError it rejects as soon as any item fails, with a *SlotError that names the
// item and wraps its error. Without it, it waits for every item and each slot holds its
// value or its error: Failures lists the errors. An item of the wrong type fails its slot
// with ErrWrongType. items that are neither a slice, an array nor a map reject at once with
// ErrWrongType. Multi rejects with ctx's error if ctx ends first; the items are left running.
func Multi[T any](ctx context.Context, items any, raiseOnError bool) *future.Future[*MultiResult[T]] {
	keys, vals, err := unpack(items)
	if err != nil {
		return future.Rejected[*MultiResult[T]](err)
	}
	fs := make([]*future.Future[T], len(vals))
	for i, v := range vals {
		f, err := MaybeAsync[T](v)
		if err != nil {
			f = future.Rejected[T](err)
		}
		fs[i] = f
	}
	if raiseOnError {
		for i, f := range fs {
			fs[i] = future.Recover(f, func(_ context.Context, err error) (T, error) {
				var zero T
				return zero, &SlotError{Key: keys[i], Err: err}
			})
		}
		return future.Then(future.All(ctx, fs...), func(_ context.Context, vs []T) (*MultiResult[T], error) {
			return &MultiResult[T]{Keys: keys, Values: vs, Errs: make([]error, len(vs))}, nil
		})
	}
	return future.Then(future.AllSettled(ctx, fs...), func(_ context.Context, rs []future.Result[T]) (*MultiResult[T], error) {
		res := &MultiResult[T]{Keys: keys, Values: make([]T, len(rs)), Errs: make([]error, len(rs))}
		for i, r := range rs {
			res.Values[i], res.Errs[i] = r.Value, r.Err
		}
		return res, nil
	})
}

// MultiResult holds the outcome of every item Multi waited for, slot by slot: Keys[i],
// Values[i] and Errs[i] belong together.
type MultiResult[T any] struct {
	// Keys are the slice indexes (int), in order, or the map keys, sorted when they are
	// strings or numbers and in the order of their fmt form otherwise.
	Keys []any
	// Values hold each item's value; the zero T for an item that failed.
	Values []T
	// Errs hold each item's error; nil for an item that succeeded.
	Errs []error
}

// Failures returns the errors of the items that failed, in slot order, each as a *SlotError
// naming its item. It is empty when every item succeeded.
func (r *MultiResult[T]) Failures() []error {
	var errs []error
	for i, err := range r.Errs {
		if err != nil {
			errs = append(errs, &SlotError{Key: r.Keys[i], Err: err})
		}
	}
	return errs
}

// Get returns the value and error of the item under key (a slice index or a map key), and
// an ErrWrongType error if there is no such item.
func (r *MultiResult[T]) Get(key any) (T, error) {
	for i, k := range r.Keys {
		if k == key {
			return r.Values[i], r.Errs[i]
		}
	}
	var zero T
	return zero, fmt.Errorf("%w: no item under key %v (%T)", ErrWrongType, key, key)
}

// SlotError is the error of one item of Multi: which item, and what went wrong.
type SlotError struct {
	Key any // the slice index or map key of the item
	Err error
}

func (e *SlotError) Error() string { return fmt.Sprintf("util: multi item %v: %v", e.Key, e.Err) }

// Unwrap returns the item's own error.
func (e *SlotError) Unwrap() error { return e.Err }

// unpack lists the keys and elements of a slice, array or map.
func unpack(items any) (keys, vals []any, err error) {
	rv := reflect.ValueOf(items)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		keys, vals = make([]any, rv.Len()), make([]any, rv.Len())
		for i := range rv.Len() {
			keys[i], vals[i] = i, rv.Index(i).Interface()
		}
		return keys, vals, nil
	case reflect.Map:
		mk := rv.MapKeys()
		slices.SortFunc(mk, compareKeys)
		keys, vals = make([]any, len(mk)), make([]any, len(mk))
		for i, k := range mk {
			keys[i], vals[i] = k.Interface(), rv.MapIndex(k).Interface()
		}
		return keys, vals, nil
	}
	return nil, nil, fmt.Errorf("%w: Multi takes a slice, an array or a map, got %T", ErrWrongType, items)
}

// compareKeys orders map keys so that a MultiResult of a map reads the same every time.
func compareKeys(a, b reflect.Value) int {
	switch {
	case a.CanInt():
		return cmp.Compare(a.Int(), b.Int())
	case a.CanUint():
		return cmp.Compare(a.Uint(), b.Uint())
	case a.CanFloat():
		return cmp.Compare(a.Float(), b.Float())
	case a.Kind() == reflect.String:
		return cmp.Compare(a.String(), b.String())
	}
	return cmp.Compare(fmt.Sprint(a.Interface()), fmt.Sprint(b.Interface()))
}
