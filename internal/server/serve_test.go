package server

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// running is a Server serving on a loopback port.
type running struct {
	addr string
	stop context.CancelFunc // begins shutdown
	errc chan error
	done bool // Serve has returned err
	err  error
}

// result waits up to limit for Serve to return and reports whether it
// did and with what error. Only the test goroutine calls it.
func (r *running) result(limit time.Duration) (returned bool, err error) {
	if !r.done {
		select {
		case r.err = <-r.errc:
			r.done = true
		case <-time.After(limit):
		}
	}
	return r.done, r.err
}

// startServing runs s.Serve on a loopback port; the test's cleanup stops
// it and checks that Serve returned.
func startServing(t *testing.T, s *Server) *running {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{addr: ln.Addr().String(), stop: cancel, errc: make(chan error, 1)}
	go func() { r.errc <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if ok, _ := r.result(10 * time.Second); !ok {
			t.Error("Serve did not return")
		}
	})
	// Serve must have claimed the server before tests poke at it.
	for !s.serving.Load() {
		time.Sleep(time.Millisecond)
	}
	return r
}

// waitRefused polls until a new connection to addr is refused.
func waitRefused(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return
		}
		c.Close()
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("new connections still accepted after shutdown began")
}

func readyStatus(s *Server) int {
	return serve(s.Handler(), http.MethodGet, "/ready", nil, nil).Code
}

func TestServeOverLoopback(t *testing.T) {
	s, _ := newTestServer(t, Options{Catalog: staticCatalog{{ID: "m", Created: 1, OwnedBy: "o"}}})
	s.SetReady(true)
	addr := startServing(t, s).addr
	for _, tt := range []struct {
		path   string
		status int
	}{
		{"/health", 200}, {"/ready", 200}, {"/v1/models", 200}, {"/v1/models/m", 200}, {"/v1/models/x", 404}, {"/x", 404},
	} {
		resp, err := http.Get("http://" + addr + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || resp.Header.Get(RequestIDHeader) == "" {
			t.Errorf("GET %s = %d (request id %q), want %d", tt.path, resp.StatusCode, resp.Header.Get(RequestIDHeader), tt.status)
		}
	}
}

func TestGracefulShutdownDrains(t *testing.T) {
	s, logs := newTestServer(t, Options{ShutdownTimeout: 10 * time.Second})
	s.SetReady(true)
	started, release := make(chan struct{}), make(chan struct{})
	s.Handle("GET /slow", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		io.WriteString(w, "finished")
	}))
	srv := startServing(t, s)
	addr := srv.addr

	type result struct {
		body string
		err  error
	}
	slow := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/slow")
		if err != nil {
			slow <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		slow <- result{string(b), err}
	}()
	<-started
	if readyStatus(s) != http.StatusOK {
		t.Fatal("not ready before shutdown")
	}

	srv.stop()
	waitRefused(t, addr)
	if got := readyStatus(s); got != http.StatusServiceUnavailable {
		t.Errorf("/ready during shutdown = %d, want 503", got)
	}
	if returned, err := srv.result(50 * time.Millisecond); returned {
		t.Fatalf("Serve returned %v with a request in flight", err)
	}

	close(release)
	if r := <-slow; r.err != nil || r.body != "finished" {
		t.Errorf("in-flight request got %q, %v; want it to complete", r.body, r.err)
	}
	if returned, err := srv.result(10 * time.Second); !returned {
		t.Fatal("Serve did not return after the last request finished")
	} else if err != nil {
		t.Errorf("Serve = %v, want nil after a clean shutdown", err)
	}
	if got := readyStatus(s); got != http.StatusServiceUnavailable {
		t.Errorf("/ready after shutdown = %d, want 503", got)
	}
	found := false
	for _, r := range logs.logRecords(t) {
		if r["msg"] == "request" && r["path"] == "/slow" && r["status"] == float64(200) {
			found = true
		}
	}
	if !found {
		t.Error("no access log line for the drained request")
	}
}

func TestShutdownCutsRequestsPastDeadline(t *testing.T) {
	const shutdownTimeout = 200 * time.Millisecond
	s, _ := newTestServer(t, Options{ShutdownTimeout: shutdownTimeout})
	started := make(chan struct{})
	handlerCancelled := make(chan error, 1)
	s.Handle("GET /stuck", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-r.Context().Done() // a well-behaved handler stops when its context ends
		handlerCancelled <- r.Context().Err()
	}))
	srv := startServing(t, s)
	addr := srv.addr

	clientErr := make(chan error, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/stuck")
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		clientErr <- err
	}()
	<-started
	begun := time.Now()
	srv.stop()

	returned, err := srv.result(10 * time.Second)
	if !returned {
		t.Fatal("Serve did not return")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Serve = %v, want an error wrapping DeadlineExceeded", err)
	}
	if waited := time.Since(begun); waited < shutdownTimeout {
		t.Errorf("Serve returned after %v, before the %v shutdown timeout", waited, shutdownTimeout)
	}
	select {
	case err := <-handlerCancelled:
		if err == nil {
			t.Error("handler context ended without an error")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the cut request's context was not cancelled")
	}
	if err := <-clientErr; err == nil {
		t.Error("client of the cut request got a complete response")
	}
}

func TestServeTwice(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	startServing(t, s)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Serve(context.Background(), ln); err == nil {
		t.Error("second Serve returned nil")
	}
	// The refused listener must have been closed.
	if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		c.Close()
		t.Error("second Serve left its listener open")
	}
}

// failingListener fails Accept, as a listener whose socket died would.
type failingListener struct{ net.Listener }

func (failingListener) Accept() (net.Conn, error) { return nil, errors.New("accept: boom") }

func TestServeListenerFailure(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = s.Serve(context.Background(), failingListener{ln})
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("Serve = %v, want the accept error", err)
	}
}
