package history

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
)

// The kinds of Record.
const (
	Acquire = "acquire" // Outcome: Held (Fence set), NotAcquired, Ctx, Closed, Failed
	Release = "release" // Outcome: OK, NotHeld, Failed; Call is when the holder let go
	Lost    = "lost"    // Lost() closed, or the backend reported the loss; Call == Return
	Extend  = "extend"  // Outcome: OK (Deadline set) or Failed
	Write   = "write"   // a write to the fenced store; Outcome: Accepted, Refused, Failed
	Close   = "close"   // the process closed a backend; Limit is the bound it had
)

// Outcomes of a Record.
const (
	Held        = "held"
	NotAcquired = "not_acquired"
	Ctx         = "ctx"
	Closed      = "closed"
	Failed      = "failed" // an error that says nothing of the outcome: it may have happened
	OK          = "ok"
	NotHeld     = "not_held"
	Accepted    = "accepted"
	Refused     = "refused"
)

// Record is one operation of one process, as its caller saw it.
type Record struct {
	Proc    int    `json:"p"`  // the process, unique in the run
	Client  int    `json:"c"`  // the goroutine within the process
	Kind    string `json:"k"`  // Acquire, Release, Lost, Extend, Write, Close
	Name    string `json:"n"`  // the lock name (empty for Close)
	Hold    int    `json:"h"`  // the hold, unique within the process; 0 for a failed Acquire
	Call    int64  `json:"t0"` // Now() when the call was made
	Return  int64  `json:"t1"` // Now() when it returned
	Outcome string `json:"o"`
	Fence   uint64 `json:"f,omitempty"` // the hold's fence (Acquire held, Write, Release)
	// Deadline is the hold's safe deadline after this call (Acquire, Extend), 0 when none is
	// known (a leased hold, whose renewals the public API does not show).
	Deadline int64 `json:"d,omitempty"`
	// Limit is when the call should have returned by (Acquire: its blocking window or ctx
	// deadline; Close: its bound), 0 for none.
	Limit int64  `json:"l,omitempty"`
	Err   string `json:"e,omitempty"`
}

// Recorder appends Records to a file, one JSON object a line. It is safe for concurrent use;
// each Add writes through, so that a process stopped or killed leaves what it recorded.
type Recorder struct {
	mu  sync.Mutex
	f   *os.File
	w   *bufio.Writer
	err error
}

// Create opens path for a new history.
func Create(path string) (*Recorder, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	return &Recorder{f: f, w: bufio.NewWriter(f)}, nil
}

// Add records r. The first write error is kept and returned by Close.
func (rec *Recorder) Add(r Record) {
	b, err := json.Marshal(r)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.err != nil {
		return
	}
	if err == nil {
		b = append(b, '\n')
		_, err = rec.w.Write(b)
	}
	if err == nil {
		err = rec.w.Flush()
	}
	rec.err = err
}

// Close flushes and closes the file, and returns the first error of any Add.
func (rec *Recorder) Close() error {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return errors.Join(rec.err, rec.w.Flush(), rec.f.Close())
}

// Load reads every file matching pattern (filepath.Glob) and returns their records in order
// of call time.
func Load(pattern string) ([]Record, error) {
	paths, err := filepath.Glob(pattern)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	var all []Record
	for _, p := range paths {
		recs, err := loadFile(p)
		if err != nil {
			return nil, err
		}
		all = append(all, recs...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Call < all[j].Call })
	return all, nil
}

func loadFile(path string) ([]Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	defer f.Close()
	var recs []Record
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("history: %s:%d: %w", path, line, err)
		}
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("history: %s: %w", path, err)
	}
	return recs, nil
}
