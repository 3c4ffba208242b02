package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"hfserve/api"
)

func TestHealth(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		rec := serve(s.Handler(), method, "/health", nil, nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s /health = %d", method, rec.Code)
		}
		if method == http.MethodHead {
			if rec.Body.Len() != 0 {
				t.Errorf("HEAD /health sent a body: %q", rec.Body)
			}
			continue
		}
		var h api.Health
		if err := json.Unmarshal(rec.Body.Bytes(), &h); err != nil || h.Status != api.HealthOK {
			t.Errorf("GET /health body %q (err %v), want status ok", rec.Body, err)
		}
	}
}

func TestReady(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	steps := []struct {
		name       string
		act        func()
		wantCode   int
		wantStatus string
	}{
		{"initially not ready", func() {}, http.StatusServiceUnavailable, api.HealthNotReady},
		{"ready", func() { s.SetReady(true) }, http.StatusOK, api.HealthReady},
		{"unready again", func() { s.SetReady(false) }, http.StatusServiceUnavailable, api.HealthNotReady},
		{"ready once more", func() { s.SetReady(true) }, http.StatusOK, api.HealthReady},
		// Serve sets draining on shutdown; readiness must not come back.
		{"draining wins", func() { s.draining.Store(true); s.SetReady(true) }, http.StatusServiceUnavailable, api.HealthShuttingDown},
	}
	for _, st := range steps {
		st.act()
		rec := serve(s.Handler(), http.MethodGet, "/ready", nil, nil)
		var h api.Health
		if err := json.Unmarshal(rec.Body.Bytes(), &h); err != nil {
			t.Fatalf("%s: body %q: %v", st.name, rec.Body, err)
		}
		if rec.Code != st.wantCode || h.Status != st.wantStatus {
			t.Errorf("%s: /ready = %d %q, want %d %q", st.name, rec.Code, h.Status, st.wantCode, st.wantStatus)
		}
	}
}

func TestListModels(t *testing.T) {
	models := staticCatalog{
		{ID: "stories260k", Created: 1700000000, OwnedBy: "hfserve"},
		{ID: "BAAI/bge-small-en-v1.5", Object: "model", Created: 1700000001, OwnedBy: "BAAI"},
	}
	tests := []struct {
		name    string
		catalog Catalog
		wantIDs []string
	}{
		{"no catalog", nil, []string{}},
		{"empty catalog", staticCatalog{}, []string{}},
		{"two models", models, []string{"stories260k", "BAAI/bge-small-en-v1.5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t, Options{Catalog: tt.catalog})
			rec := serve(s.Handler(), http.MethodGet, "/v1/models", nil, nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			// Decode generically: data must be an array, never null.
			var raw struct {
				Object string             `json:"object"`
				Data   *[]json.RawMessage `json:"data"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &raw); err != nil {
				t.Fatal(err)
			}
			if raw.Object != "list" || raw.Data == nil {
				t.Fatalf("body %s: want object list with a data array", rec.Body)
			}
			var list api.ModelList
			if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil {
				t.Fatal(err)
			}
			if len(list.Data) != len(tt.wantIDs) {
				t.Fatalf("got %d models, want %d", len(list.Data), len(tt.wantIDs))
			}
			for i, m := range list.Data {
				if m.ID != tt.wantIDs[i] || m.Object != "model" || m.OwnedBy == "" || m.Created == 0 {
					t.Errorf("model %d = %+v", i, m)
				}
			}
		})
	}
}

func TestGetModel(t *testing.T) {
	s, _ := newTestServer(t, Options{Catalog: staticCatalog{
		{ID: "stories260k", Created: 1700000000, OwnedBy: "hfserve"},
		{ID: "BAAI/bge-small-en-v1.5", Created: 1700000001, OwnedBy: "BAAI"},
	}})
	found := []struct{ path, id string }{
		{"/v1/models/stories260k", "stories260k"},
		{"/v1/models/BAAI/bge-small-en-v1.5", "BAAI/bge-small-en-v1.5"},
		{"/v1/models/BAAI%2Fbge-small-en-v1.5", "BAAI/bge-small-en-v1.5"},
	}
	for _, tt := range found {
		rec := serve(s.Handler(), http.MethodGet, tt.path, nil, nil)
		var m api.Model
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil || rec.Code != http.StatusOK {
			t.Fatalf("GET %s = %d %s (%v)", tt.path, rec.Code, rec.Body, err)
		}
		if m.ID != tt.id || m.Object != "model" {
			t.Errorf("GET %s = %+v, want id %q", tt.path, m, tt.id)
		}
	}
	for _, path := range []string{"/v1/models/gpt-4", "/v1/models/BAAI", "/v1/models/"} {
		rec := serve(s.Handler(), http.MethodGet, path, nil, nil)
		e := checkError(t, rec, http.StatusNotFound, api.ErrTypeInvalidRequest, "model_not_found", "model")
		id := strings.TrimPrefix(path, "/v1/models/")
		if !strings.Contains(e.Message, "'"+id+"'") {
			t.Errorf("GET %s: message %q does not name the model", path, e.Message)
		}
	}
}

func TestUnknownRouteAndMethod(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	s.Handle("POST /v1/chat/completions", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	tests := []struct {
		method, path string
		status       int
		code         string
		allow        []string
	}{
		{http.MethodGet, "/nope", http.StatusNotFound, "unknown_url", nil},
		{http.MethodPost, "/v1/nope", http.StatusNotFound, "unknown_url", nil},
		{http.MethodGet, "/" + strings.Repeat("a", 5000), http.StatusNotFound, "unknown_url", nil},
		{http.MethodPost, "/health", http.StatusMethodNotAllowed, "method_not_allowed", []string{"GET", "HEAD"}},
		{http.MethodDelete, "/v1/models", http.StatusMethodNotAllowed, "method_not_allowed", []string{"GET", "HEAD"}},
		{http.MethodGet, "/v1/chat/completions", http.StatusMethodNotAllowed, "method_not_allowed", []string{"POST"}},
	}
	for _, tt := range tests {
		name := tt.method + " " + tt.path
		if len(name) > 40 {
			name = name[:40]
		}
		t.Run(name, func(t *testing.T) {
			rec := serve(s.Handler(), tt.method, tt.path, nil, nil)
			e := checkError(t, rec, tt.status, api.ErrTypeInvalidRequest, tt.code, "")
			if len(e.Message) > maxPathInMessage+100 {
				t.Errorf("message echoes %d bytes of path", len(e.Message))
			}
			allow := rec.Header().Get("Allow")
			for _, m := range tt.allow {
				if !strings.Contains(allow, m) {
					t.Errorf("Allow = %q, want it to list %s", allow, m)
				}
				if !strings.Contains(e.Message, m) {
					t.Errorf("message %q does not list allowed method %s", e.Message, m)
				}
			}
			if tt.allow == nil && allow != "" {
				t.Errorf("404 with Allow %q", allow)
			}
		})
	}
}

func TestRedirectStillWorks(t *testing.T) {
	// The mux's own path cleaning must survive the 404/405 wrapper.
	s, _ := newTestServer(t, Options{})
	rec := serve(s.Handler(), http.MethodGet, "/v1//models", nil, nil)
	if rec.Code < 300 || rec.Code > 399 || rec.Header().Get("Location") != "/v1/models" {
		t.Errorf("GET /v1//models = %d Location %q, want a redirect to /v1/models", rec.Code, rec.Header().Get("Location"))
	}
}
