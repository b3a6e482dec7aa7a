package driver_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/batonlock/baton/lock"
	"github.com/batonlock/baton/lock/driver"
)

func TestResolveAppliesOptionsOnDefaults(t *testing.T) {
	var seen []lock.Event
	o, err := driver.Resolve("a", driver.DefaultOptions(),
		lock.WithTimeout(time.Second), lock.WithObserver(lock.ObserverFunc(func(e lock.Event) { seen = append(seen, e) })))
	require.NoError(t, err)
	assert.Equal(t, time.Second, o.Timeout)
	assert.Equal(t, lock.Forever, o.Blocking)
	o.Notify(lock.Event{Kind: lock.Acquired, Name: "a"})
	require.Len(t, seen, 1)
	assert.Equal(t, "a", seen[0].Name)
}

func TestResolveRejectsBadInput(t *testing.T) {
	for _, c := range []struct {
		name string
		opt  lock.Option
		says string
	}{
		{"", nil, "empty"},
		{"a", nil, "nil Option"},
		{"a", lock.WithTimeout(-time.Second), "negative"},
		{"a", lock.WithBlocking(-time.Second), "negative"},
	} {
		_, err := driver.Resolve(c.name, driver.DefaultOptions(), c.opt)
		require.ErrorIs(t, err, lock.ErrInvalid, c.says)
		assert.Contains(t, err.Error(), c.says)
	}
}

func TestNilObserverReportsNothing(t *testing.T) {
	o, err := driver.Resolve("a", driver.DefaultOptions(), lock.WithObserver(nil))
	require.NoError(t, err)
	assert.Nil(t, o.Observer)
	o.Notify(lock.Event{Kind: lock.Acquired}) // must not panic
	assert.NotNil(t, o.Log())
}

// go doc ./lock must show what a service calls and none of the drivers' plumbing.
func TestLockShowsNoDriverPlumbing(t *testing.T) {
	pkgs, err := parser.ParseDir(token.NewFileSet(), "..", func(fi fs.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, 0)
	require.NoError(t, err)
	pkg := pkgs["lock"]
	require.NotNil(t, pkg, "package lock not found in ..")
	exported := map[string]bool{}
	for _, f := range pkg.Files {
		for name, obj := range f.Scope.Objects {
			if ast.IsExported(name) && obj.Kind != ast.Bad {
				exported[name] = true
			}
		}
	}
	require.True(t, exported["Open"], "the parse found lock's API")
	for _, name := range []string{"Invalidf", "PopDuration", "PopString", "Redact", "Scrub", "Register",
		"Resolve", "Opener", "Options", "LossNotifier", "DefaultOptions"} {
		assert.False(t, exported[name], "package lock exports driver plumbing %s", name)
	}
}
