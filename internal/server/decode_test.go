package server

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"hfserve/api"
)

// chatLike is a request type with the field kinds real handlers use.
type chatLike struct {
	Model     string            `json:"model"`
	MaxTokens *int              `json:"max_tokens"`
	Stream    bool              `json:"stream"`
	Stop      []string          `json:"stop"`
	Temp      float64           `json:"temperature"`
	Meta      map[string]string `json:"metadata"`
	Messages  []struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	} `json:"messages"`
}

func decodeRecorded(body io.Reader, v any) (*httptest.ResponseRecorder, error) {
	req := httptest.NewRequest(http.MethodPost, "/x", body)
	rec := httptest.NewRecorder()
	return rec, DecodeJSON(rec, req, v)
}

func TestDecodeJSON(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		wantStatus  int    // 0: success
		wantParam   string // expected param of the error
		wantMessage string // substring of the error message
	}{
		{name: "valid", body: `{"model":"m","max_tokens":5,"stop":["a"],"messages":[{"role":"user","content":"hi"}]}`},
		{name: "valid with surrounding whitespace", body: " \n\t{\"model\":\"m\"}\n "},
		{name: "empty", body: ``, wantStatus: 400, wantMessage: "empty"},
		{name: "whitespace only", body: "  \n ", wantStatus: 400, wantMessage: "empty"},
		{name: "truncated", body: `{"model":"m"`, wantStatus: 400, wantMessage: "ends before"},
		{name: "syntax error", body: `{"model":"m",}`, wantStatus: 400, wantMessage: "malformed JSON at byte offset 13"},
		{name: "not JSON", body: `model=m`, wantStatus: 400, wantMessage: "malformed JSON at byte offset 0"},
		{name: "unknown field", body: `{"model":"m","max_tokns":5}`, wantStatus: 400, wantParam: "max_tokns", wantMessage: `unknown field "max_tokns"`},
		{name: "wrong type", body: `{"max_tokens":"five"}`, wantStatus: 400, wantParam: "max_tokens", wantMessage: "expected an integer, got a JSON string"},
		{name: "fraction for integer", body: `{"max_tokens":1.5}`, wantStatus: 400, wantParam: "max_tokens", wantMessage: "expected an integer"},
		{name: "nested wrong type", body: `{"messages":[{"role":"user","content":7}]}`, wantStatus: 400, wantParam: "messages.content", wantMessage: "expected a string, got a JSON number"},
		{name: "array instead of object", body: `[1,2]`, wantStatus: 400, wantMessage: "must be an object, not a JSON array"},
		{name: "trailing value", body: `{"model":"m"}{"model":"n"}`, wantStatus: 400, wantMessage: "unexpected data after the JSON value, which ends at byte offset 13"},
		{name: "trailing garbage", body: `{"model":"m"} xyz`, wantStatus: 400, wantMessage: "unexpected data after the JSON value"},
		{name: "trailing bracket", body: `{"model":"m"}]`, wantStatus: 400, wantMessage: "unexpected data after the JSON value"},
		{name: "trailing unterminated string", body: `{"model":"m"} "ab`, wantStatus: 400, wantMessage: "unexpected data after the JSON value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v chatLike
			rec, err := decodeRecorded(strings.NewReader(tt.body), &v)
			if tt.wantStatus == 0 {
				if err != nil {
					t.Fatalf("DecodeJSON: %v", err)
				}
				if rec.Body.Len() != 0 || rec.Code != http.StatusOK {
					t.Errorf("success wrote a response: %d %s", rec.Code, rec.Body)
				}
				if v.Model != "m" {
					t.Errorf("decoded %+v", v)
				}
				return
			}
			var re *RequestError
			if !errors.As(err, &re) || re.Status != tt.wantStatus || re.Param != tt.wantParam {
				t.Fatalf("err = %#v, want RequestError status %d param %q", err, tt.wantStatus, tt.wantParam)
			}
			e := checkError(t, rec, tt.wantStatus, api.ErrTypeInvalidRequest, "", tt.wantParam)
			if !strings.Contains(e.Message, tt.wantMessage) {
				t.Errorf("message %q does not contain %q", e.Message, tt.wantMessage)
			}
		})
	}
}

// A request type's own UnmarshalJSON error reaches the client as a 400.
type strictEnum string

func (e *strictEnum) UnmarshalJSON(b []byte) error {
	if string(b) != `"a"` {
		return errors.New(`encoding_format must be "a"`)
	}
	*e = "a"
	return nil
}

func TestDecodeJSONCustomUnmarshalError(t *testing.T) {
	var v struct {
		Format strictEnum `json:"encoding_format"`
	}
	rec, err := decodeRecorded(strings.NewReader(`{"encoding_format":"b"}`), &v)
	if err == nil {
		t.Fatal("want error")
	}
	e := checkError(t, rec, http.StatusBadRequest, api.ErrTypeInvalidRequest, "", "")
	if !strings.Contains(e.Message, `encoding_format must be "a"`) {
		t.Errorf("message %q", e.Message)
	}
}

func TestDecodeJSONNonPointerIsServerError(t *testing.T) {
	var v chatLike
	rec, err := decodeRecorded(strings.NewReader(`{}`), v)
	if err == nil {
		t.Fatal("want error")
	}
	checkError(t, rec, http.StatusInternalServerError, api.ErrTypeServer, "", "")
}

// FuzzDecodeJSON feeds arbitrary bodies through DecodeJSON behind a size
// limit. Whatever comes in, it must not panic; success means the body was
// valid JSON (as json.Valid, an independent check, judges) within the
// limit and nothing was written; failure means a 400 or 413 in the OpenAI
// shape.
func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		``, `{}`, `{"model":"m"}`, `{"model":"m"}{}`, `{"max_tokens":"x"}`, `{"x":1}`, `[`, `null`,
		`{"messages":[{"role":"user","content":"hi"}],"stop":["\n"],"metadata":{"a":"b"}}`,
		`{"temperature":1e400}`, `"\ud800"`, strings.Repeat("[", 100),
	} {
		f.Add([]byte(seed))
	}
	const limit = 256
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(string(body)))
		req.ContentLength = -1
		rec := httptest.NewRecorder()
		req.Body = http.MaxBytesReader(rec, req.Body, limit)
		var v chatLike
		err := DecodeJSON(rec, req, &v)
		if err == nil {
			if !json.Valid(body) || len(body) > limit {
				t.Fatalf("accepted %q (valid %v, %d bytes)", body, json.Valid(body), len(body))
			}
			if rec.Body.Len() != 0 {
				t.Fatalf("success wrote %q", rec.Body)
			}
			return
		}
		if rec.Code != http.StatusBadRequest && rec.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d for %q", rec.Code, body)
		}
		if rec.Code == http.StatusRequestEntityTooLarge && len(body) <= limit {
			t.Fatalf("413 for a %d-byte body", len(body))
		}
		var e api.ErrorResponse
		if jerr := json.Unmarshal(rec.Body.Bytes(), &e); jerr != nil || e.Error.Message == "" || e.Error.Type != api.ErrTypeInvalidRequest {
			t.Fatalf("error body %q (%v)", rec.Body, jerr)
		}
	})
}
