package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"hfserve/internal/server"
)

// adminPull posts a pull and returns the HTTP status and, for a stream,
// its events (or, for an error, the body).
func adminPull(t *testing.T, base, body string) (int, []server.AdminPullEvent, string) {
	t.Helper()
	resp, err := http.Post(base+"/admin/models/pull", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, nil, string(raw)
	}
	var evs []server.AdminPullEvent
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			var ev server.AdminPullEvent
			if err := json.Unmarshal([]byte(d), &ev); err != nil {
				t.Fatalf("event %q: %v", d, err)
			}
			evs = append(evs, ev)
		}
	}
	return resp.StatusCode, evs, ""
}

func TestE2EAllowDownloadAndAdminPull(t *testing.T) {
	h, commit := fakeHub(t)
	if _, err := h.AddFolder("org/tiny-gpt2", "../../testdata/models/tiny/gpt2"); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	env := []string{"HF_ENDPOINT=" + h.URL, "HF_HUB_CACHE=" + cache}
	p := startServer(t, env, "--allow-download", "--model", "org/tiny-llama")
	logs := p.logs.String()
	for _, want := range []string{`"msg":"downloading model"`, `"msg":"model file ready"`, `"msg":"model downloaded"`, commit} {
		if !strings.Contains(logs, want) {
			t.Errorf("startup logs lack %s", want)
		}
	}
	// The model pulled at startup serves.
	var chat struct {
		Choices []struct{ Message struct{ Content string } }
	}
	postJSON(t, p.baseURL+"/v1/chat/completions", map[string]any{
		"model": "org/tiny-llama", "max_tokens": 3, "messages": []map[string]string{{"role": "user", "content": "hi"}},
	}, http.StatusOK, &chat)
	if len(chat.Choices) != 1 {
		t.Errorf("chat: %+v", chat)
	}

	// Pulling the served model again (a repair, a refresh) streams
	// progress and ends servable under its name.
	status, evs, body := adminPull(t, p.baseURL, `{"model":"org/tiny-llama"}`)
	if status != http.StatusOK || len(evs) < 3 {
		t.Fatalf("admin pull: %d %s %+v", status, body, evs)
	}
	last := evs[len(evs)-1]
	if evs[0].Status != "resolved" || last.Status != "success" || !last.Servable || len(last.ServedAs) != 1 ||
		last.ServedAs[0] != "org/tiny-llama" || last.Commit != commit {
		t.Errorf("admin pull events: first %+v, last %+v", evs[0], last)
	}
	// A model the server does not list lands in the cache, with a note
	// that says how to serve it.
	_, evs, _ = adminPull(t, p.baseURL, `{"model":"org/tiny-gpt2"}`)
	if last := evs[len(evs)-1]; last.Status != "success" || last.Servable || !strings.Contains(last.Note, "--model org/tiny-gpt2") {
		t.Errorf("pull of an unlisted model: %+v", last)
	}
	for _, tt := range []struct {
		body, code string
		status     int
	}{
		{`{"model":"org/missing"}`, "hub_model_not_found", http.StatusNotFound},
		{`{"model":"org/gated"}`, "hub_access_denied", http.StatusBadGateway},
		{`{"model":"not a model"}`, "invalid_model", http.StatusBadRequest},
	} {
		status, _, body := adminPull(t, p.baseURL, tt.body)
		if status != tt.status || !strings.Contains(body, tt.code) {
			t.Errorf("%s: %d %s, want %d %s", tt.body, status, body, tt.status, tt.code)
		}
	}
}

func TestE2EAdminPullNeedsAllowDownload(t *testing.T) {
	h, _ := fakeHub(t)
	p := startServer(t, []string{"HF_ENDPOINT=" + h.URL, "HF_HUB_CACHE=" + t.TempDir()})
	status, _, body := adminPull(t, p.baseURL, `{"model":"org/tiny-llama"}`)
	if status != http.StatusForbidden || !strings.Contains(body, "--allow-download") {
		t.Errorf("pull without allow_download: %d %s", status, body)
	}
	if n := len(h.Requests()); n != 0 {
		t.Errorf("the server contacted the Hub %d times with downloads off", n)
	}
}
