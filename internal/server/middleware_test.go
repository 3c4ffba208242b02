package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"hfserve/api"
	"hfserve/internal/telemetry"
)

func TestRequestID(t *testing.T) {
	s, logs := newTestServer(t, Options{})
	// The handler logs through the server's logger with its ctx, as later
	// handlers will; its line must carry the id too.
	s.Handle("GET /echo", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.log.InfoContext(r.Context(), "inside handler")
		fmt.Fprint(w, telemetry.RequestID(r.Context()))
	}))
	tests := []struct {
		name     string
		sent     []string // X-Request-ID values sent; nil sends none
		wantKept bool
	}{
		{"none sent", nil, false},
		{"sane id kept", []string{"client-id_123.abc"}, true},
		{"uuid kept", []string{"8f14e45f-ceea-467a-9575-8b4d6b9f1b2c"}, true},
		{"max length kept", []string{strings.Repeat("k", telemetry.MaxRequestIDLen)}, true},
		{"too long replaced", []string{strings.Repeat("k", telemetry.MaxRequestIDLen+1)}, false},
		{"space replaced", []string{"a b"}, false},
		{"control char replaced", []string{"a\x01b"}, false},
		{"newline replaced", []string{"a\nmsg=forged"}, false},
		{"non-ASCII replaced", []string{"idé"}, false},
		{"empty replaced", []string{""}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := http.Header{}
			if tt.sent != nil {
				header[RequestIDHeader] = tt.sent
			}
			before := len(logs.logRecords(t))
			rec := serve(s.Handler(), http.MethodGet, "/echo", nil, header)
			echoed := rec.Header().Get(RequestIDHeader)
			if !telemetry.ValidRequestID(echoed) {
				t.Fatalf("echoed id %q is not valid", echoed)
			}
			if kept := tt.sent != nil && echoed == tt.sent[0]; kept != tt.wantKept {
				t.Errorf("echoed %q for sent %q: kept = %v, want %v", echoed, tt.sent, kept, tt.wantKept)
			}
			if rec.Body.String() != echoed {
				t.Errorf("context id %q != echoed id %q", rec.Body, echoed)
			}
			recs := logs.logRecords(t)[before:]
			if len(recs) != 2 {
				t.Fatalf("want 2 log lines (handler + access), got %d: %v", len(recs), recs)
			}
			for _, r := range recs {
				if r["request_id"] != echoed {
					t.Errorf("log line %v lacks request_id %q", r, echoed)
				}
			}
			access := recs[1]
			if access["msg"] != "request" || access["method"] != "GET" || access["path"] != "/echo" ||
				access["status"] != float64(200) || access["bytes"] != float64(len(echoed)) || access["duration"] == nil {
				t.Errorf("access log line = %v", access)
			}
		})
	}
	// Two requests without an id get different ones.
	a := serve(s.Handler(), http.MethodGet, "/health", nil, nil).Header().Get(RequestIDHeader)
	b := serve(s.Handler(), http.MethodGet, "/health", nil, nil).Header().Get(RequestIDHeader)
	if a == b {
		t.Errorf("generated ids repeat: %q", a)
	}
}

func TestRequestIDKeyCanonical(t *testing.T) {
	if got := http.CanonicalHeaderKey(RequestIDHeader); got != requestIDKey {
		t.Errorf("CanonicalHeaderKey(%q) = %q, but requestIDKey is %q", RequestIDHeader, got, requestIDKey)
	}
}

func TestErrorResponsesCarryRequestID(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	rec := serve(s.Handler(), http.MethodGet, "/missing", nil, http.Header{RequestIDHeader: {"trace-me"}})
	if got := rec.Header().Get(RequestIDHeader); got != "trace-me" {
		t.Errorf("404 echoed id %q, want trace-me", got)
	}
}

func TestServerHeader(t *testing.T) {
	s, _ := newTestServer(t, Options{Version: "1.2.3"})
	if got := serve(s.Handler(), http.MethodGet, "/health", nil, nil).Header().Get("Server"); got != "hfserve/1.2.3" {
		t.Errorf("Server = %q", got)
	}
	if _, err := New(Options{Version: "1.0\r\nX-Evil: 1"}); err == nil {
		t.Error("New accepted a Version with CR LF")
	}
}

func TestPanicRecovery(t *testing.T) {
	s, logs := newTestServer(t, Options{})
	s.Handle("GET /panic", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Partial", "1")
		panic("secret internal detail")
	}))
	rec := serve(s.Handler(), http.MethodGet, "/panic", nil, http.Header{RequestIDHeader: {"panic-1"}})
	e := checkError(t, rec, http.StatusInternalServerError, api.ErrTypeServer, "internal_error", "")
	if rec.Header().Get("X-Partial") != "" || rec.Header().Get(RequestIDHeader) != "panic-1" {
		t.Errorf("500 headers = %v: want the handler's dropped and the request id kept", rec.Header())
	}
	if strings.Contains(e.Message, "secret") {
		t.Errorf("panic value leaked to the client: %q", e.Message)
	}
	if !strings.Contains(e.Message, "panic-1") {
		t.Errorf("message %q lacks the request id", e.Message)
	}
	var panicLine, accessLine map[string]any
	for _, r := range logs.logRecords(t) {
		switch r["msg"] {
		case "handler panic":
			panicLine = r
		case "request":
			accessLine = r
		}
	}
	if panicLine == nil || panicLine["panic"] != "secret internal detail" || panicLine["request_id"] != "panic-1" ||
		!strings.Contains(fmt.Sprint(panicLine["stack"]), "middleware_test.go") {
		t.Errorf("panic log line = %v", panicLine)
	}
	if accessLine == nil || accessLine["status"] != float64(500) || accessLine["level"] != "ERROR" {
		t.Errorf("access log line = %v", accessLine)
	}
	// The server keeps serving.
	if rec := serve(s.Handler(), http.MethodGet, "/health", nil, nil); rec.Code != http.StatusOK {
		t.Errorf("after panic /health = %d", rec.Code)
	}
}

// A panic once the body has started, or http.ErrAbortHandler, must cut the
// connection: the client sees an error, not a response that looks whole.
func TestPanicAfterWriteAbortsConnection(t *testing.T) {
	s, logs := newTestServer(t, Options{})
	s.Handle("GET /late-panic", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		panic("late")
	}))
	s.Handle("GET /abort", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	for _, path := range []string{"/late-panic", "/abort"} {
		resp, err := ts.Client().Get(ts.URL + path)
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		if err == nil {
			t.Errorf("GET %s: no error; want a cut connection", path)
		}
	}
	aborted := 0
	for _, r := range logs.logRecords(t) {
		if r["msg"] == "request aborted" {
			aborted++
		}
	}
	if aborted != 2 {
		t.Errorf("%d 'request aborted' log lines, want 2:\n%s", aborted, logs)
	}
	if resp, err := ts.Client().Get(ts.URL + "/health"); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("server did not survive: %v", err)
	} else {
		resp.Body.Close()
	}
}

func TestBodyLimit(t *testing.T) {
	const limit = 64
	s, _ := newTestServer(t, Options{MaxRequestBodyBytes: limit})
	var decoded struct {
		Input string `json:"input"`
	}
	s.Handle("POST /echo", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if DecodeJSON(w, r, &decoded) != nil {
			return
		}
		WriteJSON(w, r, http.StatusOK, decoded)
	}))
	body := func(n int) string { return `{"input":"` + strings.Repeat("x", n-len(`{"input":""}`)) + `"}` }
	tests := []struct {
		name    string
		body    string
		chunked bool // hide the length, so only MaxBytesReader can catch it
		status  int
	}{
		{"at limit", body(limit), false, http.StatusOK},
		{"over limit, declared", body(limit + 1), false, http.StatusRequestEntityTooLarge},
		{"over limit, chunked", body(limit + 1), true, http.StatusRequestEntityTooLarge},
		{"far over limit, chunked", body(10 * limit), true, http.StatusRequestEntityTooLarge},
		{"at limit, chunked", body(limit), true, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/echo", strings.NewReader(tt.body))
			if tt.chunked {
				req.ContentLength = -1
			}
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			if tt.status == http.StatusOK {
				if rec.Code != http.StatusOK {
					t.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
				return
			}
			e := checkError(t, rec, tt.status, api.ErrTypeInvalidRequest, "request_too_large", "")
			if !strings.Contains(e.Message, fmt.Sprint(limit)) {
				t.Errorf("message %q does not state the limit", e.Message)
			}
		})
	}
}

func TestBodyLimitDisabled(t *testing.T) {
	s, _ := newTestServer(t, Options{MaxRequestBodyBytes: -1})
	var v struct{ Input string }
	s.Handle("POST /echo", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if DecodeJSON(w, r, &v) == nil {
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	big := `{"Input":"` + strings.Repeat("x", DefaultMaxRequestBodyBytes) + `"}`
	if rec := serve(s.Handler(), http.MethodPost, "/echo", strings.NewReader(big), nil); rec.Code != http.StatusNoContent {
		t.Errorf("status %d with the limit disabled", rec.Code)
	}
}

func TestRequestTimeout(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration
	}{
		{"deadline set", 200 * time.Millisecond},
		{"disabled", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t, Options{RequestTimeout: tt.timeout})
			var deadline time.Time
			var hasDeadline bool
			var errAfter error
			s.Handle("GET /wait", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				deadline, hasDeadline = r.Context().Deadline()
				if hasDeadline {
					<-r.Context().Done()
					errAfter = r.Context().Err()
				}
			}))
			start := time.Now()
			serve(s.Handler(), http.MethodGet, "/wait", nil, nil)
			end := time.Now()
			if hasDeadline != (tt.timeout > 0) {
				t.Fatalf("deadline present = %v, want %v", hasDeadline, tt.timeout > 0)
			}
			if !hasDeadline {
				return
			}
			// The middleware set it at some moment between start and end.
			if deadline.Before(start.Add(tt.timeout)) || deadline.After(end.Add(tt.timeout)) {
				t.Errorf("deadline %v after start, want %v after the request began", deadline.Sub(start), tt.timeout)
			}
			if errAfter != context.DeadlineExceeded {
				t.Errorf("ctx.Err() = %v, want DeadlineExceeded", errAfter)
			}
		})
	}
}

// SSE handlers need Flush to reach the client through the middleware.
func TestFlushPassesThrough(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	release := make(chan struct{})
	s.Handle("GET /stream", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: first\n\n")
		w.(http.Flusher).Flush()
		<-release
		io.WriteString(w, "data: second\n\n")
	}))
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	defer close(release)
	resp, err := ts.Client().Get(ts.URL + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, len("data: first\n\n"))
	if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != "data: first\n\n" {
		t.Fatalf("first event not flushed: %q %v", buf, err)
	}
}

// FuzzRequestIDHeader sends arbitrary X-Request-ID values through the
// middleware: the echoed id is always valid, and it is the client's own
// exactly when the sanitizer accepts it.
func FuzzRequestIDHeader(f *testing.F) {
	for _, seed := range []string{"", "abc", "a b", "a\r\nb", "\x00", "é", strings.Repeat("x", 129)} {
		f.Add(seed)
	}
	s, err := New(Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, sent string) {
		req := httptest.NewRequest(http.MethodGet, "/health", nil)
		req.Header.Set(RequestIDHeader, sent)
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		echoed := rec.Header().Get(RequestIDHeader)
		if !telemetry.ValidRequestID(echoed) {
			t.Fatalf("echoed invalid id %q", echoed)
		}
		if (echoed == sent) != telemetry.ValidRequestID(sent) {
			t.Fatalf("sent %q, echoed %q", sent, echoed)
		}
	})
}
