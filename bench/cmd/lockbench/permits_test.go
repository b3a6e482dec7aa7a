package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPermitsRows: the permits scenario runs on local:// and on semaphore.Weighted, the row
// it is held up to; a backend that does not keep permits has no row rather than one
// measured as a mutex; semaphore.Weighted runs no other scenario.
func TestPermitsRows(t *testing.T) {
	code, out, stderr := runArgs(t, append(brief, "-scenarios", "fight,permits,permits8")...)
	require.Equal(t, exitOK, code, "stderr: %s", stderr)
	rows := map[[2]string]tableRow{}
	for _, r := range parseTable(t, out) {
		rows[[2]string{r.backend, r.scenario}] = r
		assert.Equal(t, "0", r.overlaps, "%s %s", r.backend, r.scenario)
	}
	require.Contains(t, rows, [2]string{"local", "permits"})
	require.Contains(t, rows, [2]string{"semaphore.Weighted", "permits"})
	assert.Equal(t, "base", rows[[2]string{"semaphore.Weighted", "permits"}].vsBase)
	assert.Regexp(t, `^[0-9.]+x$`, rows[[2]string{"local", "permits"}].vsBase)
	assert.NotContains(t, rows, [2]string{"semaphore.Weighted", "fight"})
	assert.NotContains(t, rows, [2]string{"local", "permits8"}, "local:// backends share nothing")
	require.Contains(t, rows, [2]string{"miniredis", "permits"}, "the Redis engine keeps permits")
	require.Contains(t, rows, [2]string{"miniredis", "permits8"}, "and across backends of one server")
	assert.Regexp(t, `^[0-9.]+x$`, rows[[2]string{"miniredis", "permits8"}].vsBase)
}
