package respcache

import (
	"encoding/json"
	"testing"
)

// keyRequest stands in for a wire request struct: typed numbers, a map,
// and a raw JSON field passed through verbatim.
type keyRequest struct {
	Prompt      string             `json:"prompt"`
	MaxTokens   *int               `json:"max_tokens,omitempty"`
	Temperature *float64           `json:"temperature,omitempty"`
	Seed        *int64             `json:"seed,omitempty"`
	Bias        map[string]float64 `json:"logit_bias,omitempty"`
	Tools       []json.RawMessage  `json:"tools,omitempty"`
}

// keyOf decodes body as the server does and derives its key.
func keyOf(t *testing.T, body string, parts KeyParts) Key {
	t.Helper()
	var req keyRequest
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	parts.Request = req
	k, err := NewKey(parts)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var baseParts = KeyParts{Endpoint: "/v1/completions", Model: "m", Identity: "f-1", Version: "v"}

// TestKeyIgnoresSpelling: bodies that decode to the same request share a
// key, however their fields are ordered, spaced, escaped or their numbers
// written.
func TestKeyIgnoresSpelling(t *testing.T) {
	base := `{"prompt":"Hi <b>","max_tokens":16,"temperature":0.5,"seed":7,"logit_bias":{"1":-100,"2":5}}`
	same := []string{
		`{"seed":7,"temperature":0.5,"max_tokens":16,"prompt":"Hi <b>","logit_bias":{"2":5,"1":-100}}`,
		`{ "prompt" : "Hi \u003cb>", "max_tokens": 16, "temperature": 5e-1, "seed": 7, "logit_bias": {"1": -100.0, "2": 5.000} }`,
		`{"prompt":"H\u0069 <b>","max_tokens":16,"temperature":0.50,"seed":7,"logit_bias":{"1":-1e2,"2":0.5E1}}`,
		// encoding/json matches field names case-insensitively.
		`{"Prompt":"Hi <b>","MAX_TOKENS":16,"temperature":0.5,"seed":7,"logit_bias":{"1":-100,"2":5}}`,
	}
	want := keyOf(t, base, baseParts)
	for _, body := range same {
		if got := keyOf(t, body, baseParts); got != want {
			t.Errorf("%s: key differs from %s", body, base)
		}
	}
}

// TestKeySeesEveryField: changing any one field, or any part of the key
// besides the request, changes the key.
func TestKeySeesEveryField(t *testing.T) {
	base := `{"prompt":"Hi","max_tokens":16,"temperature":0.5,"seed":7,"logit_bias":{"1":-100},"tools":[{"a":1,"b":2}]}`
	variants := []string{
		`{"prompt":"Hi ","max_tokens":16,"temperature":0.5,"seed":7,"logit_bias":{"1":-100},"tools":[{"a":1,"b":2}]}`,
		`{"prompt":"Hi","max_tokens":17,"temperature":0.5,"seed":7,"logit_bias":{"1":-100},"tools":[{"a":1,"b":2}]}`,
		`{"prompt":"Hi","temperature":0.5,"seed":7,"logit_bias":{"1":-100},"tools":[{"a":1,"b":2}]}`,
		`{"prompt":"Hi","max_tokens":16,"temperature":0.5000001,"seed":7,"logit_bias":{"1":-100},"tools":[{"a":1,"b":2}]}`,
		`{"prompt":"Hi","max_tokens":16,"temperature":0.5,"seed":8,"logit_bias":{"1":-100},"tools":[{"a":1,"b":2}]}`,
		// Seeds beyond float64's integers stay distinct.
		`{"prompt":"Hi","max_tokens":16,"temperature":0.5,"seed":9007199254740993,"logit_bias":{"1":-100},"tools":[{"a":1,"b":2}]}`,
		`{"prompt":"Hi","max_tokens":16,"temperature":0.5,"seed":7,"logit_bias":{"1":-99},"tools":[{"a":1,"b":2}]}`,
		`{"prompt":"Hi","max_tokens":16,"temperature":0.5,"seed":7,"logit_bias":{"1":-100,"3":1},"tools":[{"a":1,"b":2}]}`,
		// Raw JSON reaches chat templates verbatim: its key order and
		// number literals count.
		`{"prompt":"Hi","max_tokens":16,"temperature":0.5,"seed":7,"logit_bias":{"1":-100},"tools":[{"b":2,"a":1}]}`,
		`{"prompt":"Hi","max_tokens":16,"temperature":0.5,"seed":7,"logit_bias":{"1":-100},"tools":[{"a":1.0,"b":2}]}`,
	}
	seen := map[Key]string{keyOf(t, base, baseParts): base}
	for _, body := range variants {
		k := keyOf(t, body, baseParts)
		if prev, dup := seen[k]; dup {
			t.Errorf("%s and %s share a key", body, prev)
		}
		seen[k] = body
	}
	partsVariants := []KeyParts{
		{Endpoint: "/v1/chat/completions", Model: "m", Identity: "f-1", Version: "v"},
		{Endpoint: "/v1/completions", Model: "m2", Identity: "f-1", Version: "v"},
		{Endpoint: "/v1/completions", Model: "m", Identity: "f-2", Version: "v"},
		{Endpoint: "/v1/completions", Model: "m", Identity: "f-1", Version: "v2"},
		// Length prefixes keep the parts apart.
		{Endpoint: "/v1/completionsm", Model: "", Identity: "f-1", Version: "v"},
	}
	for _, p := range partsVariants {
		k := keyOf(t, base, p)
		if prev, dup := seen[k]; dup {
			t.Errorf("parts %+v share a key with %s", p, prev)
		}
		seen[k] = "parts"
	}
}

// TestKeyWhitespaceInRawJSON: whitespace inside a raw field is not part of
// what the model sees (the template decodes it), so it does not count.
func TestKeyWhitespaceInRawJSON(t *testing.T) {
	a := keyOf(t, `{"prompt":"Hi","tools":[{"a":1,"b":[2,3]}]}`, baseParts)
	b := keyOf(t, `{"prompt":"Hi","tools":[ { "a" : 1 , "b" : [ 2 , 3 ] } ]}`, baseParts)
	if a != b {
		t.Error("whitespace inside tools changed the key")
	}
}

func TestKeyIsHexSHA256(t *testing.T) {
	k := keyOf(t, `{"prompt":"x"}`, baseParts)
	if len(k) != 64 {
		t.Fatalf("key %q: want 64 hex digits", k)
	}
	for _, c := range k {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			t.Fatalf("key %q is not lower-case hex", k)
		}
	}
}

func TestCanonicalRejectsUnencodable(t *testing.T) {
	if _, err := NewKey(KeyParts{Request: map[string]any{"f": func() {}}}); err == nil {
		t.Fatal("a request that cannot be encoded got a key")
	}
}
