package server

import (
	"io"
	"net"
	"testing"
	"time"
)

func TestOptionDefaults(t *testing.T) {
	got := withDefaults(Options{ReadTimeout: -1, RequestTimeout: 5 * time.Second})
	checks := []struct {
		name      string
		got, want time.Duration
	}{
		{"ReadHeaderTimeout zero takes default", got.ReadHeaderTimeout, DefaultReadHeaderTimeout},
		{"ReadTimeout negative stays disabled", got.ReadTimeout, -1},
		{"IdleTimeout zero takes default", got.IdleTimeout, DefaultIdleTimeout},
		{"ShutdownTimeout zero takes default", got.ShutdownTimeout, DefaultShutdownTimeout},
		{"WriteTimeout zero stays none", got.WriteTimeout, 0},
		{"RequestTimeout kept", got.RequestTimeout, 5 * time.Second},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	if got.MaxRequestBodyBytes != DefaultMaxRequestBodyBytes {
		t.Errorf("MaxRequestBodyBytes = %d, want the default", got.MaxRequestBodyBytes)
	}
	if neg := withDefaults(Options{MaxRequestBodyBytes: -1}); neg.MaxRequestBodyBytes != -1 {
		t.Errorf("negative MaxRequestBodyBytes became %d", neg.MaxRequestBodyBytes)
	}
}

// A client that never finishes its headers is dropped after
// ReadHeaderTimeout: the option reaches the real http.Server.
func TestReadHeaderTimeoutApplied(t *testing.T) {
	s, _ := newTestServer(t, Options{ReadHeaderTimeout: 100 * time.Millisecond})
	addr := startServing(t, s).addr
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "GET /health HTTP/1.1\r\nHost: x\r\n"); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	start := time.Now()
	_, err = io.ReadAll(c) // returns when the server closes the connection
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("server kept a half-sent request open for %v", time.Since(start))
	}
}
