package redistest_test

import (
	"fmt"
	"testing"
)

// exampleTB stands in for the *testing.T that an Example function does not get: it runs
// the cleanups when the Example ends and turns a fatal error into a panic, which fails the
// Example. The embedded interface is nil, so a method it does not define panics too.
type exampleTB struct {
	testing.TB
	cleanups []func()
}

func (t *exampleTB) Helper()                           {}
func (t *exampleTB) Cleanup(f func())                  { t.cleanups = append(t.cleanups, f) }
func (t *exampleTB) Logf(format string, args ...any)   { fmt.Printf(format+"\n", args...) }
func (t *exampleTB) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }

// finish runs the cleanups, last registered first, as testing does.
func (t *exampleTB) finish() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}
