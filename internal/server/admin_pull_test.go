package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"hfserve/api"
)

// scriptedPuller emits events, then returns final or err.
type scriptedPuller struct {
	events []AdminPullEvent
	final  AdminPullEvent
	err    error
	got    AdminPullRequest
}

func (p *scriptedPuller) Pull(_ context.Context, req AdminPullRequest, emit func(AdminPullEvent) error) (AdminPullEvent, error) {
	p.got = req
	for _, ev := range p.events {
		if err := emit(ev); err != nil {
			return AdminPullEvent{}, err
		}
	}
	return p.final, p.err
}

func pullServer(t *testing.T, p ModelPuller) http.Handler {
	t.Helper()
	s, _ := newTestServer(t, Options{})
	s.HandleAdminPull(p)
	return s.Handler()
}

// sseEvents parses a text/event-stream body of JSON data lines.
func pullEvents(t *testing.T, body string) []AdminPullEvent {
	t.Helper()
	var out []AdminPullEvent
	for _, block := range strings.Split(strings.TrimSpace(body), "\n\n") {
		data, ok := strings.CutPrefix(block, "data: ")
		if !ok {
			t.Fatalf("event %q is not a data line", block)
		}
		var ev AdminPullEvent
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

func TestAdminPullStreams(t *testing.T) {
	p := &scriptedPuller{
		events: []AdminPullEvent{
			{Status: "resolved", Model: "org/m", Commit: strings.Repeat("a", 40), Files: 1, Total: 10},
			{Status: "downloading", Model: "org/m", File: "model.safetensors", FileCompleted: 5, FileTotal: 10, Completed: 5, Total: 10},
			{Status: "file_done", Model: "org/m", File: "model.safetensors", FileCompleted: 10, FileTotal: 10, Completed: 10, Total: 10, Files: 1, FilesDone: 1},
		},
		final: AdminPullEvent{Status: "success", Model: "org/m", Dir: "/cache/x", Servable: true, ServedAs: []string{"org/m"}},
	}
	rec := serve(pullServer(t, p), "POST", "/admin/models/pull", strings.NewReader(`{"model":"org/m@v1","name":"m1","include":["*.json"]}`), nil)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d, content type %q: %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	got := pullEvents(t, rec.Body.String())
	want := append(append([]AdminPullEvent(nil), p.events...), p.final)
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d", len(got), len(want))
	}
	for i := range want {
		a, _ := json.Marshal(got[i])
		b, _ := json.Marshal(want[i])
		if string(a) != string(b) {
			t.Errorf("event %d: %s, want %s", i, a, b)
		}
	}
	if p.got.Model != "org/m@v1" || p.got.Name != "m1" || len(p.got.Include) != 1 {
		t.Errorf("the puller got %+v", p.got)
	}
}

func TestAdminPullErrors(t *testing.T) {
	notFound := &PullError{Status: http.StatusNotFound, Code: "hub_model_not_found", Err: errors.New("no such model")}
	tests := []struct {
		name   string
		body   string
		p      *scriptedPuller
		status int
		code   string
	}{
		{"bad json", `{"model":`, &scriptedPuller{}, http.StatusBadRequest, "invalid_request"},
		{"unknown field", `{"modle":"x"}`, &scriptedPuller{}, http.StatusBadRequest, "invalid_request"},
		{"no model", `{}`, &scriptedPuller{}, http.StatusBadRequest, "missing_model"},
		{"before the stream", `{"model":"org/x"}`, &scriptedPuller{err: notFound}, http.StatusNotFound, "hub_model_not_found"},
		{"plain error", `{"model":"org/x"}`, &scriptedPuller{err: errors.New("boom")}, http.StatusBadGateway, "pull_failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(pullServer(t, tt.p), "POST", "/admin/models/pull", strings.NewReader(tt.body), nil)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			e := decodeError(t, rec.Body.Bytes())
			if tt.code != "invalid_request" && deref(e.Code) != tt.code {
				t.Errorf("code %q, want %q", deref(e.Code), tt.code)
			}
			if e.Type != ErrorType(tt.status) || (tt.status >= 500 && e.Type != api.ErrTypeServer) {
				t.Errorf("type %q for status %d", e.Type, tt.status)
			}
		})
	}
	// A failure after the first event is the stream's last event.
	p := &scriptedPuller{events: []AdminPullEvent{{Status: "resolved", Model: "org/x"}}, err: errors.New("disk full")}
	rec := serve(pullServer(t, p), "POST", "/admin/models/pull", strings.NewReader(`{"model":"org/x"}`), nil)
	evs := pullEvents(t, rec.Body.String())
	if rec.Code != http.StatusOK || len(evs) != 2 || evs[1].Status != "error" || evs[1].Error != "disk full" {
		t.Errorf("mid-stream failure: %d %+v", rec.Code, evs)
	}
}

func TestAdminPullBesideModelActions(t *testing.T) {
	_, m := adminServer(t)
	s, _ := newTestServer(t, Options{})
	s.HandleAdminModels(m)
	s.HandleAdminPull(&scriptedPuller{final: AdminPullEvent{Status: "success", Model: "org/x"}})
	h := s.Handler()
	if rec := serve(h, "POST", "/admin/models/tiny/bert/pin", nil, nil); rec.Code != http.StatusOK {
		t.Errorf("pin: %d %s", rec.Code, rec.Body)
	}
	rec := serve(h, "POST", "/admin/models/pull", strings.NewReader(`{"model":"org/x"}`), nil)
	if evs := pullEvents(t, rec.Body.String()); rec.Code != http.StatusOK || len(evs) != 1 || evs[0].Status != "success" {
		t.Errorf("pull: %d %s", rec.Code, rec.Body)
	}
}
