package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"hfserve/api"
	"hfserve/internal/telemetry"
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a server's
// goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// logRecords parses the JSON log lines written so far.
func (b *syncBuffer) logRecords(t *testing.T) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		recs = append(recs, m)
	}
	return recs
}

// staticCatalog serves a fixed model list.
type staticCatalog []api.Model

func (c staticCatalog) Models(context.Context) []api.Model { return c }

// newTestServer builds a Server logging JSON at debug level into the
// returned buffer.
func newTestServer(t *testing.T, opts Options) (*Server, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	log, err := telemetry.NewLogger(logs, "debug", "json")
	if err != nil {
		t.Fatal(err)
	}
	opts.Logger = log
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s, logs
}

// serve runs one request through h and returns the recorded response.
func serve(h http.Handler, method, target string, body io.Reader, header http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, body)
	for k, vs := range header {
		req.Header[http.CanonicalHeaderKey(k)] = vs
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// decodeError parses an OpenAI error body strictly: exactly the four
// fields, nothing else.
func decodeError(t *testing.T, body []byte) api.ErrorBody {
	t.Helper()
	var raw map[string]map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatalf("error body %q is not {\"error\":{...}}: %v", body, err)
	}
	if len(raw) != 1 || raw["error"] == nil {
		t.Fatalf("error body %q: want exactly one top-level key \"error\"", body)
	}
	for _, k := range []string{"message", "type", "param", "code"} {
		if _, ok := raw["error"][k]; !ok {
			t.Fatalf("error body %q lacks %q", body, k)
		}
	}
	if len(raw["error"]) != 4 {
		t.Fatalf("error body %q has extra fields", body)
	}
	var e api.ErrorResponse
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatal(err)
	}
	if e.Error.Message == "" || e.Error.Type == "" {
		t.Fatalf("error body %q: empty message or type", body)
	}
	return e.Error
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// checkError asserts an OpenAI-shaped error response.
func checkError(t *testing.T, rec *httptest.ResponseRecorder, status int, errType, code, param string) api.ErrorBody {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status = %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	e := decodeError(t, rec.Body.Bytes())
	if e.Type != errType || deref(e.Code) != code || deref(e.Param) != param {
		t.Errorf("error = {type %q code %q param %q}, want {%q %q %q}; message %q",
			e.Type, deref(e.Code), deref(e.Param), errType, code, param, e.Message)
	}
	return e
}
