package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIsTerminal(t *testing.T) {
	assert.False(t, isTerminal(&bytes.Buffer{}))
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	require.NoError(t, err)
	defer f.Close()
	assert.False(t, isTerminal(f), "a regular file")
}

// lockedBuffer lets the progress goroutine and the test share a buffer.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestProgress(t *testing.T) {
	var w lockedBuffer
	p := newProgress(&w, 2, true)
	p.Start("miniredis", "fight")
	time.Sleep(2 * progressEvery)
	p.Close()
	p.Close()
	out := w.String()
	assert.Contains(t, out, "[1/2] miniredis fight")
	assert.GreaterOrEqual(t, strings.Count(out, "\r"), 2, "redrawn in place")
	assert.True(t, strings.HasSuffix(out, "\r\x1b[K"), "erased at the end: %q", out)
}

func TestProgressOff(t *testing.T) {
	var w bytes.Buffer
	p := newProgress(&w, 2, false)
	p.Start("local", "solo")
	p.Close()
	assert.Empty(t, w.String())
}
