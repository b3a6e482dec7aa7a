// Package redistest starts real redis-server processes for tests, on free loopback ports.
package redistest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// readyTimeout bounds how long Start waits for a server to accept connections.
const readyTimeout = 10 * time.Second

// Server is a redis-server process that a test started. It is stopped when the test ends.
type Server struct {
	t    testing.TB
	bin  string
	args []string
	port int
	conf string // a sentinel's configuration file: the server runs with --sentinel

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited
	out    *bytes.Buffer
}

// Start starts redis-server on a free loopback port with persistence off, plus args, and
// waits until it answers PING. When redis-server is not on PATH the test is skipped, except
// when the environment has CI=true, where that is a failure.
func Start(t testing.TB, args ...string) *Server {
	t.Helper()
	bin := lookPath(t, "redis-server")
	port, err := freePort()
	if err != nil {
		t.Fatalf("redistest: no free port: %v", err)
	}
	s := &Server{t: t, bin: bin, args: args, port: port}
	t.Cleanup(s.stop)
	if err := s.start(); err != nil {
		t.Fatalf("redistest: %v", err)
	}
	return s
}

// lookPath finds a Redis binary, or skips the test (fails it when CI=true).
func lookPath(t testing.TB, name string) string {
	t.Helper()
	bin, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redistest: %s is not on PATH (CI=true, so this cannot be skipped): %v", name, err)
		}
		t.Skipf("redistest: %s is not on PATH: %v", name, err)
	}
	return bin
}

// Addr returns the server's host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// URL returns a redis:// URL for database 0 of the server.
func (s *Server) URL() string { return "redis://" + s.Addr() + "/0" }

// Kill kills the server with SIGKILL, as a crash would, and waits for it to exit.
func (s *Server) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kill(syscall.SIGKILL)
}

// Restart starts the server again on the same port, after Kill or while it runs (it is
// killed first). Its data is gone: persistence is off.
func (s *Server) Restart() {
	s.t.Helper()
	s.Kill()
	if err := s.start(); err != nil {
		s.t.Fatalf("redistest: restart: %v", err)
	}
}

func (s *Server) start() error {
	args := append([]string{
		"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--protected-mode", "no",
	}, s.args...)
	if s.conf != "" {
		args = append([]string{s.conf, "--sentinel", "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
			"--protected-mode", "no"}, s.args...)
	}
	out := &bytes.Buffer{}
	cmd := exec.Command(s.bin, args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", s.bin, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	s.mu.Lock()
	s.cmd, s.exited, s.out = cmd, exited, out
	s.mu.Unlock()

	deadline := time.Now().Add(readyTimeout)
	for {
		err := ping(s.Addr())
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("redis-server on %s exited: %v\n%s", s.Addr(), cmd.ProcessState, out)
		default:
		}
		if time.Now().After(deadline) {
			s.Kill()
			return fmt.Errorf("redis-server on %s not ready after %v: %v\n%s", s.Addr(), readyTimeout, err, out)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *Server) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kill(syscall.SIGTERM)
}

// kill signals the process and waits for it, escalating to SIGKILL after a while.
func (s *Server) kill(sig syscall.Signal) {
	if s.cmd == nil {
		return
	}
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	_ = cmd.Process.Signal(sig)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
}

// ping sends an inline PING and waits for +PONG.
func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	buf := make([]byte, 7)
	n, err := c.Read(buf)
	if err != nil {
		return err
	}
	if string(buf[:n]) != "+PONG\r\n" {
		return fmt.Errorf("unexpected reply %q", buf[:n])
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
