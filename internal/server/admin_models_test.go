package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"hfserve/api"
	"hfserve/internal/serving"
)

// adminServer serves the admin endpoints over a real Manager of two tiny
// fixture models, with room for one.
func adminServer(t *testing.T) (http.Handler, *serving.Manager) {
	t.Helper()
	var entries []serving.Entry
	for _, name := range []string{"bert", "gpt2"} {
		dir, err := filepath.Abs(filepath.Join("../../testdata/models/tiny", name))
		if err != nil {
			t.Fatal(err)
		}
		// Hugging Face style ids, to exercise the slash in the path.
		entries = append(entries, serving.Entry{Name: "tiny/" + name, Ref: dir, Dir: dir})
	}
	cat, err := serving.NewCatalog(entries)
	if err != nil {
		t.Fatal(err)
	}
	m, err := serving.NewManager(serving.ManagerOptions{Catalog: cat, Load: serving.AutoLoader(nil), MaxLoadedModels: 1, KeepAlive: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	s, _ := newTestServer(t, Options{})
	s.HandleAdminModels(m)
	return s.Handler(), m
}

func decodeAdmin[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var v T
	dec := json.NewDecoder(rec.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestAdminModelsLifecycle(t *testing.T) {
	h, m := adminServer(t)
	list := decodeAdmin[AdminModelList](t, serve(h, "GET", "/admin/models", nil, nil))
	if list.Object != "list" || len(list.Data) != 2 || list.Memory.MaxLoadedModels != 1 {
		t.Fatalf("list = %+v", list)
	}
	for _, d := range list.Data {
		if d.State != "available" || d.LastUsed != nil || d.KeepAliveSeconds != -1 || len(d.Evictions) != 4 {
			t.Fatalf("before any load: %+v", d)
		}
	}

	got := decodeAdmin[AdminModel](t, serve(h, "POST", "/admin/models/tiny/bert/load", nil, nil))
	if got.ID != "tiny/bert" || got.State != "loaded" || got.ResidentBytes == 0 || got.ResidentBytes != got.EstimatedBytes ||
		got.Loads != 1 || got.LastUsed == nil || got.Hits != 0 || got.Misses != 0 {
		t.Fatalf("after load: %+v", got)
	}
	got = decodeAdmin[AdminModel](t, serve(h, "POST", "/admin/models/tiny/bert/pin", nil, nil))
	if !got.Pinned {
		t.Fatalf("after pin: %+v", got)
	}
	// Room for one model, and it is pinned: 503 with Retry-After.
	rec := serve(h, "POST", "/admin/models/tiny/gpt2/load", nil, nil)
	checkError(t, rec, http.StatusServiceUnavailable, api.ErrTypeOverloaded, "model_capacity_exceeded", "")
	if rec.Header().Get("Retry-After") == "" {
		t.Error("capacity error without Retry-After")
	}
	decodeAdmin[AdminModel](t, serve(h, "POST", "/admin/models/tiny/bert/unpin", nil, nil))
	got = decodeAdmin[AdminModel](t, serve(h, "POST", "/admin/models/tiny/gpt2/load", nil, nil))
	if got.State != "loaded" {
		t.Fatalf("gpt2 after unpinning bert: %+v", got)
	}
	got = decodeAdmin[AdminModel](t, serve(h, "GET", "/admin/models/tiny/bert", nil, nil))
	if got.State != "available" || got.Evictions["lru"] != 1 || got.Pinned {
		t.Fatalf("bert after eviction: %+v", got)
	}
	got = decodeAdmin[AdminModel](t, serve(h, "POST", "/admin/models/tiny/gpt2/unload", nil, nil))
	if got.State != "available" || got.Evictions["admin"] != 1 || got.ResidentBytes != 0 {
		t.Fatalf("gpt2 after unload: %+v", got)
	}
	if st := m.Memory(); st.LoadedModels != 0 || st.ReservedBytes != 0 {
		t.Fatalf("memory after unloading everything: %+v", st)
	}
}

func TestAdminModelsBadRequests(t *testing.T) {
	h, _ := adminServer(t)
	tests := []struct {
		method, target string
		status         int
		code           string
	}{
		{"POST", "/admin/models/tiny/nope/load", http.StatusNotFound, "model_not_found"},
		{"GET", "/admin/models/tiny/nope", http.StatusNotFound, "model_not_found"},
		{"POST", "/admin/models/tiny/bert/explode", http.StatusNotFound, "not_found"},
		{"POST", "/admin/models/load", http.StatusNotFound, "not_found"},
		{"POST", "/admin/models/tiny/bert", http.StatusNotFound, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			rec := serve(h, tt.method, tt.target, nil, nil)
			checkError(t, rec, tt.status, api.ErrTypeInvalidRequest, tt.code, "")
		})
	}
}

func TestWriteModelError(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		status     int
		errType    string
		code       string
		retryAfter string
	}{
		{"unknown", fmt.Errorf("x: %w", serving.ErrUnknownModel), 404, api.ErrTypeInvalidRequest, "model_not_found", ""},
		{"capacity", &serving.CapacityError{Model: "m", Busy: 2, Loaded: 2, MaxLoaded: 2}, 503, api.ErrTypeOverloaded, "model_capacity_exceeded", "5"},
		{"too large", &serving.CapacityError{Model: "m", Permanent: true}, 503, api.ErrTypeOverloaded, "model_capacity_exceeded", ""},
		{"timeout", &serving.LoadError{Model: "m", Err: serving.ErrLoadTimeout}, 503, api.ErrTypeServiceUnavailable, "model_load_timeout", "1"},
		{"closed", serving.ErrClosed, 503, api.ErrTypeServiceUnavailable, "shutting_down", ""},
		{"corrupt", &serving.LoadError{Model: "m", Err: errors.New("bad header")}, 500, api.ErrTypeServer, "model_load_failed", ""},
		{"deadline", fmt.Errorf("waiting: %w", context.DeadlineExceeded), 503, api.ErrTypeServiceUnavailable, "timeout", ""},
		{"other", errors.New("boom"), 500, api.ErrTypeServer, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			WriteModelError(rec, httptest.NewRequest("GET", "/", nil), tt.err)
			e := checkError(t, rec, tt.status, tt.errType, tt.code, "")
			if e.Message != tt.err.Error() {
				t.Errorf("message = %q, want %q", e.Message, tt.err.Error())
			}
			if got := rec.Header().Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After = %q, want %q", got, tt.retryAfter)
			}
		})
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{time.Millisecond, "1"}, {time.Second, "1"}, {1500 * time.Millisecond, "2"}, {5 * time.Second, "5"},
	}
	for _, tt := range tests {
		if got := retryAfterSeconds(tt.d); got != tt.want {
			t.Errorf("retryAfterSeconds(%s) = %s, want %s", tt.d, got, tt.want)
		}
	}
}
