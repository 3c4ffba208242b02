package server

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"hfserve/api"
)

// Slow clients over real loopback connections: the timeouts of Options
// must reach http.Server and behave as documented.

// dial opens a raw connection to the server.
func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// readUntilClosed reads what the server sends until it closes the
// connection, failing if that takes longer than limit.
func readUntilClosed(t *testing.T, c net.Conn, limit time.Duration) string {
	t.Helper()
	if err := c.SetReadDeadline(time.Now().Add(limit)); err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("connection still open after %s (read %q)", limit, data)
	}
	// A reset (the server closed with unread data) counts as closed too.
	return string(data)
}

// TestSlowHeaders: a client still sending its headers when
// ReadHeaderTimeout passes is disconnected without an answer, while one
// that sends them in time is served.
func TestSlowHeaders(t *testing.T) {
	const timeout = 300 * time.Millisecond
	s, _ := newTestServer(t, Options{ReadHeaderTimeout: timeout, ReadTimeout: 10 * time.Second})
	r := startServing(t, s)

	fast := dial(t, r.addr)
	if _, err := io.WriteString(fast, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	if got := readUntilClosed(t, fast, 5*time.Second); !strings.HasPrefix(got, "HTTP/1.1 200 ") {
		t.Fatalf("a prompt client got %q", got)
	}

	// Timed from before the dial: the server starts the header timer
	// when it begins reading the accepted connection, which can come
	// before Dial returns here, so a start taken after the dial could
	// see the timeout fire early.
	start := time.Now()
	slow := dial(t, r.addr)
	done := make(chan struct{})
	go func() {
		// One header line every 100ms, never finishing within the
		// timeout; writes fail once the server has hung up.
		defer close(done)
		if _, err := io.WriteString(slow, "GET /health HTTP/1.1\r\nHost: x\r\n"); err != nil {
			return
		}
		for i := 0; i < 30; i++ {
			time.Sleep(100 * time.Millisecond)
			if _, err := fmt.Fprintf(slow, "X-Slow-%d: 1\r\n", i); err != nil {
				return
			}
		}
	}()
	got := readUntilClosed(t, slow, 5*time.Second)
	took := time.Since(start)
	if got != "" {
		t.Errorf("a slow client got an answer: %q", got)
	}
	if took < timeout || took > 2*time.Second {
		t.Errorf("disconnected after %s, want about %s", took, timeout)
	}
	slow.Close()
	<-done
}

// TestSlowBody: a body still arriving when ReadTimeout passes makes the
// handler's read fail; DecodeJSON answers 408 in the OpenAI shape and
// net/http closes the connection.
func TestSlowBody(t *testing.T) {
	const timeout = 400 * time.Millisecond
	s, logs := newTestServer(t, Options{ReadHeaderTimeout: 5 * time.Second, ReadTimeout: timeout})
	s.Handle("POST /echo", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var v map[string]any
		if DecodeJSON(w, r, &v) != nil {
			return
		}
		_ = WriteJSON(w, r, http.StatusOK, v)
	}))
	r := startServing(t, s)

	// Timed from before the dial, as in TestSlowHeaders: the read
	// timeout runs from when the server begins reading the connection.
	start := time.Now()
	c := dial(t, r.addr)
	const body = `{"prompt":"` + "trickled" + `"}`
	if _, err := fmt.Fprintf(c, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body)); err != nil {
		t.Fatal(err)
	}
	go func() {
		// A byte every 100ms: the whole body would take over 2s.
		for i := 0; i < len(body); i++ {
			if _, err := c.Write([]byte{body[i]}); err != nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	if err := c.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if took := time.Since(start); took < timeout || took > 2*time.Second {
		t.Errorf("answered after %s, want about %s", took, timeout)
	}
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("status %d, want 408; body %s", resp.StatusCode, raw)
	}
	if e := decodeError(t, raw); deref(e.Code) != "request_timeout" || e.Type != api.ErrTypeInvalidRequest {
		t.Fatalf("body %s: want an invalid_request_error request_timeout", raw)
	}
	// Nothing more comes: the connection is closed.
	if rest, err := io.ReadAll(br); len(rest) != 0 {
		t.Errorf("after the 408: %q, %v", rest, err)
	}
	if !strings.Contains(logs.String(), `"status":408`) {
		t.Errorf("no access log line with status 408:\n%s", logs)
	}
}

// TestStreamOutlivesReadTimeout: ReadTimeout bounds reading the request,
// not the answer; a stream running for several read timeouts is neither
// cut nor cancelled.
func TestStreamOutlivesReadTimeout(t *testing.T) {
	const timeout = 200 * time.Millisecond
	const events = 10 // at 100ms each: five read timeouts
	s, _ := newTestServer(t, Options{ReadHeaderTimeout: timeout, ReadTimeout: timeout})
	s.Handle("POST /stream", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var v map[string]any
		if DecodeJSON(w, r, &v) != nil {
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		rc := http.NewResponseController(w)
		for i := 0; i < events; i++ {
			select {
			case <-r.Context().Done():
				fmt.Fprintf(w, "data: cancelled %v\n\n", r.Context().Err())
				return
			case <-time.After(100 * time.Millisecond):
			}
			fmt.Fprintf(w, "data: %d\n\n", i)
			if err := rc.Flush(); err != nil {
				return
			}
		}
		fmt.Fprint(w, "data: [DONE]\n\n")
	}))
	r := startServing(t, s)
	start := time.Now()
	resp, err := http.Post("http://"+r.addr+"/stream", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("stream cut after %s: %v; got %q", time.Since(start), err, raw)
	}
	var want strings.Builder
	for i := 0; i < events; i++ {
		fmt.Fprintf(&want, "data: %d\n\n", i)
	}
	want.WriteString("data: [DONE]\n\n")
	if string(raw) != want.String() {
		t.Fatalf("stream = %q, want %q", raw, want.String())
	}
	if took := time.Since(start); took < 3*timeout {
		t.Fatalf("the stream took %s, not several read timeouts: the test proves nothing", took)
	}
}

// TestIdleTimeout: a keep-alive connection left idle is closed after
// IdleTimeout.
func TestIdleTimeout(t *testing.T) {
	const idle = 300 * time.Millisecond
	s, _ := newTestServer(t, Options{IdleTimeout: idle})
	r := startServing(t, s)
	c := dial(t, r.addr)
	// Timed from before the request: the server's idle timer starts once
	// it has written the response, before this goroutine has read it.
	start := time.Now()
	if _, err := io.WriteString(c, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Close {
		t.Fatalf("status %d, close %v: want a kept-alive 200", resp.StatusCode, resp.Close)
	}
	if err := c.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if n, err := br.ReadByte(); err == nil {
		t.Fatalf("unexpected byte %q on an idle connection", n)
	}
	if took := time.Since(start); took < idle-50*time.Millisecond || took > 3*time.Second {
		t.Fatalf("idle connection closed after %s, want about %s", took, idle)
	}
}

// timeoutReader fails as a connection does once its read deadline passed.
type timeoutReader struct{ data io.Reader }

func (r timeoutReader) Read(p []byte) (int, error) {
	n, err := r.data.Read(p)
	if err == io.EOF {
		return n, fmt.Errorf("read tcp: %w", os.ErrDeadlineExceeded)
	}
	return n, err
}

// TestDecodeReadTimeout: a body cut by the read deadline, before or after
// its JSON value ended, is a 408, not a malformed body.
func TestDecodeReadTimeout(t *testing.T) {
	for _, body := range []string{``, `{"model":`, `{"model":"m"}`} {
		r := httptest.NewRequest(http.MethodPost, "/", timeoutReader{strings.NewReader(body)})
		var v struct {
			Model string `json:"model"`
		}
		re := decodeRequest(r, &v)
		if re == nil || re.Status != http.StatusRequestTimeout || codeFor(re.Status) != "request_timeout" {
			t.Errorf("body %q then a timeout: %+v, want a 408", body, re)
		}
	}
}
