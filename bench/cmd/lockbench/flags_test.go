package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestUsageErrors: bad flags and backends that cannot be opened get one line on stderr and
// exit code 2, and print no table.
func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string // in the line
	}{
		{"unknown flag", []string{"-bogus"}, "-bogus"},
		{"bad duration", []string{"-d", "fast"}, "-d"},
		{"zero duration", []string{"-d", "0s"}, "-d 0s"},
		{"negative workers", []string{"-workers", "-1"}, "-workers"},
		{"zero hold", []string{"-hold", "0"}, "-hold"},
		{"timeout below Redis's resolution", []string{"-timeout", "500us"}, "-timeout 500µs"},
		{"negative rounds", []string{"-rounds", "-3"}, "-rounds"},
		{"unknown scenario", []string{"-scenarios", "solo,nap"}, `"nap"`},
		{"no scenario", []string{"-scenarios", ","}, "no scenario"},
		{"argument", []string{"extra"}, `"extra"`},
		{"nothing to run", []string{"-no-local", "-no-miniredis"}, "nothing to measure"},
		{"json dir missing", []string{"-json", "/nonexistent/dir/out.json"}, "-json"},
		{"unknown scheme", []string{"-url", "mem://x"}, `unknown backend scheme "mem"`},
		{"malformed url", []string{"-url", "redis://%zz"}, "malformed"},
		{"unknown query key", []string{"-url", "redis://127.0.0.1:1/0?colour=red"}, "colour"},
		{"unreachable", []string{"-url", "redis://127.0.0.1:1/0"}, "redis://127.0.0.1:1/0"},
		{"unreachable with password", []string{"-url", "redis://user:hunter2@127.0.0.1:1/0"}, "redis://user:xxxxx@127.0.0.1:1/0"},
		{"password in query", []string{"-url", "redis://127.0.0.1:1/0?password=hunter2"}, "127.0.0.1:1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := runArgs(t, tc.args...)
			assert.Equal(t, exitUsage, code)
			assert.Empty(t, out)
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
			assert.True(t, strings.HasPrefix(stderr, "lockbench: "), stderr)
			assert.Contains(t, stderr, tc.want)
			assert.NotContains(t, stderr, "hunter2")
			assert.NotContains(t, stderr, "goroutine", "no stack trace")
		})
	}
}

func TestUnreachableSaysWhy(t *testing.T) {
	code, _, stderr := runArgs(t, "-url", "redis://127.0.0.1:1/0")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "cannot reach the server")
}

func TestHelp(t *testing.T) {
	code, out, stderr := runArgs(t, "-h")
	assert.Equal(t, exitOK, code)
	assert.Empty(t, out)
	assert.Contains(t, stderr, "usage: lockbench")
	assert.Contains(t, stderr, "-baseline")
}
