package server

import (
	"math"
	"net/http"
	"net/http/httptest"
	"testing"

	"hfserve/api"
)

func TestWriteJSON(t *testing.T) {
	rec := httptest.NewRecorder()
	if err := WriteJSON(rec, nil, http.StatusCreated, map[string]string{"text": "<b>&</b>"}); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusCreated || rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("got %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	// Generated text is sent as written, not HTML-escaped.
	if got, want := rec.Body.String(), "{\"text\":\"<b>&</b>\"}\n"; got != want {
		t.Errorf("body %q, want %q", got, want)
	}
}

func TestWriteJSONEncodingFailure(t *testing.T) {
	rec := httptest.NewRecorder()
	if err := WriteJSON(rec, nil, http.StatusOK, map[string]float64{"x": math.NaN()}); err == nil {
		t.Fatal("WriteJSON encoded NaN")
	}
	checkError(t, rec, http.StatusInternalServerError, api.ErrTypeServer, "", "")
}

func TestWriteErrorKeepsHeadersAndDerivesType(t *testing.T) {
	tests := []struct {
		status   int
		wantType string
	}{
		{400, api.ErrTypeInvalidRequest},
		{401, api.ErrTypeAuthentication},
		{403, api.ErrTypePermission},
		{404, api.ErrTypeInvalidRequest},
		{413, api.ErrTypeInvalidRequest},
		{422, api.ErrTypeInvalidRequest},
		{429, api.ErrTypeRateLimit},
		{500, api.ErrTypeServer},
		{502, api.ErrTypeServer},
		{503, api.ErrTypeServiceUnavailable},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		rec.Header().Set("Retry-After", "3")
		WriteError(rec, nil, tt.status, "", "some_code", "some_param", "msg")
		checkError(t, rec, tt.status, tt.wantType, "some_code", "some_param")
		if rec.Header().Get("Retry-After") != "3" {
			t.Errorf("%d: Retry-After dropped", tt.status)
		}
	}
	// An explicit type wins over the derived one.
	rec := httptest.NewRecorder()
	WriteError(rec, nil, http.StatusServiceUnavailable, api.ErrTypeOverloaded, "", "", "queue full")
	checkError(t, rec, http.StatusServiceUnavailable, api.ErrTypeOverloaded, "", "")
}
