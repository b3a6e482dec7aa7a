package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// progress shows on a terminal which backend and scenario is running and for how long. When
// its writer is not a terminal it does nothing, so redirected output stays clean.
type progress struct {
	w     io.Writer
	total int

	mu    sync.Mutex
	step  int
	label string
	start time.Time

	stop chan struct{} // closed by Close
	done chan struct{} // closed when the ticker goroutine has returned
}

// progressEvery is how often the elapsed time is redrawn.
const progressEvery = 200 * time.Millisecond

// newProgress returns a progress line on w for total steps, or one that does nothing unless
// on (run sets on when w is a terminal). Close stops it.
func newProgress(w io.Writer, total int, on bool) *progress {
	p := &progress{w: w, total: total}
	if !on {
		return p
	}
	p.stop, p.done = make(chan struct{}), make(chan struct{})
	go p.tick()
	return p
}

// isTerminal reports whether w is a character device, such as a terminal; no dependency
// needed for that.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Start says that scenario began on backend.
func (p *progress) Start(backend, scenario string) {
	if p.stop == nil {
		return
	}
	p.mu.Lock()
	p.step++
	p.label = fmt.Sprintf("[%d/%d] %s %s", p.step, p.total, backend, scenario)
	p.start = time.Now()
	p.mu.Unlock()
	p.draw()
}

func (p *progress) tick() {
	defer close(p.done)
	t := time.NewTicker(progressEvery)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.draw()
		}
	}
}

func (p *progress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.label == "" {
		return
	}
	// \r and "erase line" redraw the same line in place.
	fmt.Fprintf(p.w, "\r\x1b[Klockbench: %s %.1fs", p.label, time.Since(p.start).Seconds())
}

// Close stops the progress line and erases it. It is safe to call more than once.
func (p *progress) Close() {
	if p.stop == nil {
		return
	}
	select {
	case <-p.stop:
		return
	default:
	}
	close(p.stop)
	<-p.done
	fmt.Fprint(p.w, "\r\x1b[K")
}
