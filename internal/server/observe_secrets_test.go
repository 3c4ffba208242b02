package server

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestNoSecretsInLogs sends credentials in the Authorization and X-API-Key
// headers and in the query string, to routes that answer, fail, are
// unknown and panic, over a real connection (so that net/http's own error
// log is in play too), and checks that no log line carries them.
func TestNoSecretsInLogs(t *testing.T) {
	const (
		bearer = "hfs_SECRETbearer0123456789abcdef"
		apiKey = "hfs_SECRETapikey0123456789abcdef"
		query  = "SECRETquery0123456789abcdef"
	)
	s, logs := newTestServer(t, Options{LogPrompts: true})
	s.Handle("GET /boom", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	s.Handle("POST /echo", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var v map[string]any
		if DecodeJSON(w, r, &v) != nil {
			return
		}
		_ = WriteJSON(w, r, http.StatusOK, v)
	}))
	s.SetReady(true)
	r := startServing(t, s)
	requests := []struct{ method, path, body string }{
		{http.MethodGet, "/health", ""},
		{http.MethodGet, "/v1/models", ""},
		{http.MethodGet, "/v1/models/missing", ""},
		{http.MethodGet, "/nowhere", ""},
		{http.MethodDelete, "/health", ""},
		{http.MethodGet, "/boom", ""},
		{http.MethodPost, "/echo", `{"broken"`},
		{http.MethodPost, "/echo", `{"ok":true}`},
	}
	for _, rq := range requests {
		var body io.Reader
		if rq.body != "" {
			body = strings.NewReader(rq.body)
		}
		req, err := http.NewRequest(rq.method, "http://"+r.addr+rq.path+"?api_key="+query+"&key="+query, body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+bearer)
		req.Header.Set("X-API-Key", apiKey)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	// Every request must have been logged (an access line each) before
	// the secrets are looked for, or their absence would prove nothing. A
	// line is written just after its answer, so it may trail the client.
	deadline := time.Now().Add(5 * time.Second)
	out := logs.String()
	for strings.Count(out, `"msg":"request`) < len(requests) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		out = logs.String()
	}
	if n := strings.Count(out, `"msg":"request`); n != len(requests) {
		t.Fatalf("%d access log lines for %d requests:\n%s", n, len(requests), out)
	}
	if !strings.Contains(out, `"msg":"handler panic"`) {
		t.Fatalf("the panic was not logged:\n%s", out)
	}
	for _, secret := range []string{"SECRET", "api_key", "Bearer", "X-API-Key"} {
		if strings.Contains(out, secret) {
			t.Errorf("the logs contain %q:\n%s", secret, out)
		}
	}
}
