package redistest

import (
	"errors"
	"net"
	"sync"
	"testing"
	"time"
)

// Proxy is a TCP proxy on a loopback port that forwards every connection to a server, and
// can stall the link (Pause), slow it down (SetLatency) or drop it (Cut), as a bad network
// would. Bytes read while the link is paused are held, not lost, and delivered in order on
// Resume, as TCP would deliver them once a stalled route comes back. It is closed when the
// test ends.
type Proxy struct {
	t      testing.TB
	target string
	ln     net.Listener

	mu      sync.Mutex
	resume  chan struct{} // closed while the link flows; a fresh open one while paused
	fresh   chan struct{} // closed while new links flow; a fresh open one while HoldNew holds them
	latency time.Duration
	links   map[*link]struct{}
	closed  bool
	wg      sync.WaitGroup // the accept loop and every pipe
}

// link is one client connection and the server connection it is forwarded to.
type link struct {
	client, server net.Conn
	gate           chan struct{} // closed when the link may flow (see HoldNew)
	done           chan struct{} // closed by drop
	once           sync.Once
}

// StartProxy starts a proxy to target (host:port) on a free loopback port.
func StartProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("redistest: proxy: %v", err)
	}
	open := make(chan struct{})
	close(open)
	p := &Proxy{t: t, target: target, ln: ln, resume: open, fresh: open, links: make(map[*link]struct{})}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.Close)
	return p
}

// Addr returns the proxy's host:port: give it to the client instead of the server's.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Pause stops forwarding bytes in both directions. Connections stay open and new ones are
// accepted, but nothing reaches the other side until Resume.
func (p *Proxy) Pause() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if flowing(p.resume) {
		p.resume = make(chan struct{})
	}
}

// Resume forwards again, starting with the bytes held while paused.
func (p *Proxy) Resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !flowing(p.resume) {
		close(p.resume)
	}
}

// HoldNew holds every connection accepted from now on, as a half-dead proxy or a full
// accept queue would: it is accepted, but none of its bytes reach the other side until
// ReleaseNew. Connections already open go on flowing.
func (p *Proxy) HoldNew() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if flowing(p.fresh) {
		p.fresh = make(chan struct{})
	}
}

// ReleaseNew lets the connections held by HoldNew flow, and new ones too.
func (p *Proxy) ReleaseNew() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !flowing(p.fresh) {
		close(p.fresh)
	}
}

// SetLatency delays every chunk of bytes by d in each direction (0: none). Order is kept.
func (p *Proxy) SetLatency(d time.Duration) {
	p.mu.Lock()
	p.latency = d
	p.mu.Unlock()
}

// Cut drops every open connection, resetting both ends, and returns how many it dropped.
// The proxy goes on accepting new connections; bytes held by Pause on the dropped ones are
// lost.
func (p *Proxy) Cut() int {
	p.mu.Lock()
	links := make([]*link, 0, len(p.links))
	for l := range p.links {
		links = append(links, l)
	}
	p.mu.Unlock()
	for _, l := range links {
		l.drop(true)
	}
	return len(links)
}

// Conns returns how many connections are open through the proxy.
func (p *Proxy) Conns() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.links)
}

// Close stops the proxy, drops every connection and waits for its goroutines.
func (p *Proxy) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	if !flowing(p.resume) {
		close(p.resume)
	}
	if !flowing(p.fresh) {
		close(p.fresh)
	}
	p.mu.Unlock()
	_ = p.ln.Close()
	p.Cut()
	p.wg.Wait()
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				p.t.Logf("redistest: proxy accept: %v", err)
			}
			return
		}
		s, err := net.DialTimeout("tcp", p.target, time.Second)
		if err != nil {
			_ = c.Close() // the server is down: the client sees its connection refused, late
			continue
		}
		p.mu.Lock()
		l := &link{client: c, server: s, gate: p.fresh, done: make(chan struct{})}
		if p.closed {
			p.mu.Unlock()
			l.drop(true)
			continue
		}
		p.links[l] = struct{}{}
		p.wg.Add(2)
		p.mu.Unlock()
		go p.pipe(l, c, s)
		go p.pipe(l, s, c)
	}
}

// pipe copies from src to dst, chunk by chunk, honouring Pause and the latency, until
// either side ends; then it drops the link.
func (p *Proxy) pipe(l *link, src, dst net.Conn) {
	defer p.wg.Done()
	defer func() {
		l.drop(false)
		p.mu.Lock()
		delete(p.links, l)
		p.mu.Unlock()
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			resume, latency := p.resume, p.latency
			p.mu.Unlock()
			for _, gate := range []chan struct{}{l.gate, resume} {
				select {
				case <-gate:
				case <-l.done:
					return
				}
			}
			if latency > 0 {
				t := time.NewTimer(latency)
				select {
				case <-t.C:
				case <-l.done:
					t.Stop()
					return
				}
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// drop closes both connections once; reset makes the close send RST instead of FIN.
func (l *link) drop(reset bool) {
	l.once.Do(func() {
		close(l.done)
		for _, c := range []net.Conn{l.client, l.server} {
			if tc, ok := c.(*net.TCPConn); ok && reset {
				_ = tc.SetLinger(0)
			}
			_ = c.Close()
		}
	})
}

// flowing reports whether the resume channel c is closed: the link is not paused.
func flowing(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
