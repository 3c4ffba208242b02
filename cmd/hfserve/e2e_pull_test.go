package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"

	"hfserve/internal/hub"
	"hfserve/internal/server"
	"hfserve/internal/serving"
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
	// A model the server does not list is served once pulled, under its
	// repo id: loaded on its first request, which the official SDK makes.
	_, evs, _ = adminPull(t, p.baseURL, `{"model":"org/tiny-gpt2"}`)
	if last := evs[len(evs)-1]; last.Status != "success" || !last.Servable || !slices.Equal(last.ServedAs, []string{"org/tiny-gpt2"}) {
		t.Fatalf("pull of an unlisted model: %+v", last)
	}
	if st := adminModels(t, p.baseURL)["org/tiny-gpt2"]; st != "available" {
		t.Errorf("pulled model's admin state %q, want available (not loaded before a request)", st)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client := newSDK(p)
	complete := func(model string) {
		t.Helper()
		comp, err := client.Completions.New(ctx, openai.CompletionNewParams{
			Model:       openai.CompletionNewParamsModel(model),
			Prompt:      openai.CompletionNewParamsPromptUnion{OfString: openai.String("Once upon a time")},
			MaxTokens:   openai.Int(3),
			Temperature: openai.Float(0),
		})
		if err != nil {
			t.Fatalf("completion on %s: %v", model, err)
		}
		if comp.Model != model || len(comp.Choices) != 1 || comp.Usage.CompletionTokens == 0 {
			t.Errorf("completion on %s: %+v", model, comp)
		}
	}
	complete("org/tiny-gpt2")
	if st := adminModels(t, p.baseURL)["org/tiny-gpt2"]; st != "loaded" {
		t.Errorf("pulled model's admin state %q after a request, want loaded", st)
	}
	// Under an alias too; a name another model holds is refused, saying so.
	_, evs, _ = adminPull(t, p.baseURL, `{"model":"org/tiny-gpt2","name":"gpt2-alias"}`)
	if last := evs[len(evs)-1]; !last.Servable || !slices.Equal(last.ServedAs, []string{"gpt2-alias"}) {
		t.Fatalf("pull under an alias: %+v", last)
	}
	complete("gpt2-alias")
	_, evs, _ = adminPull(t, p.baseURL, `{"model":"org/tiny-llama","name":"gpt2-alias"}`)
	if last := evs[len(evs)-1]; last.Status != "success" || last.Servable || !strings.Contains(last.Note, `another model named "gpt2-alias"`) {
		t.Errorf("pull under a taken name: %+v", last)
	}
	complete("gpt2-alias") // still the model first added
	var ids []string
	for page := client.Models.ListAutoPaging(ctx); page.Next(); {
		ids = append(ids, page.Current().ID)
	}
	slices.Sort(ids)
	if want := []string{"gpt2-alias", "org/tiny-gpt2", "org/tiny-llama"}; !slices.Equal(ids, want) {
		t.Errorf("GET /v1/models lists %v, want %v", ids, want)
	}
	for _, tt := range []struct {
		body, code string
		status     int
	}{
		{`{"model":"org/missing"}`, "hub_model_not_found", http.StatusNotFound},
		{`{"model":"org/gated"}`, "hub_access_denied", http.StatusBadGateway},
		{`{"model":"not a model"}`, "invalid_model", http.StatusBadRequest},
		{`{"model":"org/tiny-gpt2","name":"a/b"}`, "invalid_name", http.StatusBadRequest},
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

// A pull whose client leaves before the end still serves the model when
// the download completes: serving it is the pull's work, not the stream's.
func TestAdminPullServesAfterTheClientLeft(t *testing.T) {
	h, commit := fakeHub(t)
	cat, err := serving.NewCatalog(nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := serving.NewManager(serving.ManagerOptions{Catalog: cat, Load: serving.RuntimeLoader(nil), KeepAlive: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	svc := serving.NewService(m)
	p := &adminPuller{client: hub.NewClient(hub.HubEnv{Endpoint: h.URL}), cache: hub.Cache{Dir: t.TempDir()}, svc: svc,
		base: context.Background(), logger: slog.New(slog.DiscardHandler)}
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	goneErr := errors.New("client gone")
	if _, err := p.Pull(gone, server.AdminPullRequest{Model: "org/tiny-llama", Name: "left"}, func(server.AdminPullEvent) error { return goneErr }); err == nil {
		t.Fatal("a pull for a client gone reported success")
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if e, ok := cat.Lookup("left"); ok {
			if e.Commit != commit || e.Ref != "left=org/tiny-llama" {
				t.Errorf("entry %+v, want commit %s", e, commit)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the pulled model was never served")
		}
		time.Sleep(10 * time.Millisecond)
	}
	req := serving.GenerateRequest{Model: "left", PromptLogprobs: -1}
	req.Params.MaxTokens = 2
	if _, err := svc.Generate(context.Background(), req, nil); err != nil {
		t.Fatal(err)
	}
}
