package util

import (
	"fmt"
	"reflect"

	"github.com/batonlock/baton/future"
)

// MaybeAsync accepts either a plain value of type T or a
// *future.Future[T] and always gives back a future, so that code can treat both alike. A
// value is returned as a future resolved with it; a future is returned as it is. nil is
// accepted as the zero T when T's zero value is nil (pointers, interfaces, maps, slices,
// functions, channels). Anything else, a nil future included, is an error wrapping
// ErrWrongType that names the type it got and the one it wanted.
func MaybeAsync[T any](v any) (*future.Future[T], error) {
	switch x := v.(type) {
	case *future.Future[T]:
		if x == nil {
			return nil, fmt.Errorf("%w: nil %T", ErrWrongType, x)
		}
		return x, nil
	case T:
		return future.Resolved(x), nil
	case nil:
		if nillable(reflect.TypeFor[T]()) {
			var zero T
			return future.Resolved(zero), nil
		}
	}
	want := reflect.TypeFor[T]()
	return nil, fmt.Errorf("%w: got %T, want %v or *future.Future[%v]", ErrWrongType, v, want, want)
}

func nillable(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan:
		return true
	}
	return false
}
