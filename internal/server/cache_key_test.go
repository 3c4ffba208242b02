package server

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"hfserve/api"
	"hfserve/internal/respcache"
)

// fillValue sets v (settable) to a non-zero value of its type, recursively:
// every field of a struct, one element of a slice or map.
func fillValue(v reflect.Value) {
	if v.Type() == reflect.TypeFor[json.RawMessage]() {
		v.SetBytes([]byte(`{"a":1}`))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString("1")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(3)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(3)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(0.5)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fillValue(p.Elem())
		v.Set(p)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fillValue(s.Index(0))
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fillValue(k)
		fillValue(e)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fillValue(v.Field(i))
			}
		}
	}
}

// jsonName is a struct field's JSON name.
func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "" {
		return f.Name
	}
	return name
}

func testKey(t *testing.T, req any) respcache.Key {
	t.Helper()
	k, err := respcache.NewKey(respcache.KeyParts{Endpoint: "e", Model: "m", Identity: "i", Version: "v", Request: req})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// checkKeyRule sets each field of a T in turn and checks that the key
// changes exactly for the fields not in ignored. base is the request the
// fields are set on; clear is the endpoint's key rule.
func checkKeyRule[T any](t *testing.T, base T, clear func(T) any, ignored ...string) {
	t.Helper()
	skip := map[string]bool{}
	for _, n := range ignored {
		skip[n] = true
	}
	want := testKey(t, clear(base))
	typ := reflect.TypeFor[T]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		name := jsonName(f)
		req := base
		fillValue(reflect.ValueOf(&req).Elem().Field(i))
		changed := testKey(t, clear(req)) != want
		if changed == skip[name] {
			t.Errorf("%s.%s: key changed %t, want %t", typ.Name(), name, changed, !skip[name])
		}
		delete(skip, name)
	}
	for n := range skip {
		t.Errorf("%s has no field %q: the rule names a field that does not exist", typ.Name(), n)
	}
}

// TestCacheKeyRulePerEndpoint pins which fields of each request take part
// in its key: all of them except those that cannot change the answer.
// A field added to a request type takes part unless it is added here
// (and cleared by the endpoint's rule).
func TestCacheKeyRulePerEndpoint(t *testing.T) {
	t.Run("chat", func(t *testing.T) {
		checkKeyRule(t, api.ChatCompletionRequest{}, func(r api.ChatCompletionRequest) any { return chatCacheRequest(r) },
			"model", "user", "safety_identifier", "prompt_cache_key", "stream", "stream_options", "parallel_tool_calls")
	})
	t.Run("completions", func(t *testing.T) {
		checkKeyRule(t, api.CompletionRequest{}, func(r api.CompletionRequest) any { return completionCacheRequest(r) },
			"model", "user", "stream", "stream_options")
	})
	t.Run("embeddings", func(t *testing.T) {
		checkKeyRule(t, api.EmbeddingRequest{}, func(r api.EmbeddingRequest) any { return embeddingCacheRequest(r) },
			"model", "user", "encoding_format")
	})
	t.Run("tgi", func(t *testing.T) {
		checkKeyRule(t, api.GenerateRequest{}, func(r api.GenerateRequest) any { return tgiCacheRequest(r, false) }, "model")
	})
	t.Run("tgi parameters", func(t *testing.T) {
		wrap := func(stream bool) func(api.GenerateParameters) any {
			return func(p api.GenerateParameters) any {
				return tgiCacheRequest(api.GenerateRequest{Inputs: "x", Parameters: &p}, stream)
			}
		}
		checkKeyRule(t, api.GenerateParameters{}, wrap(false))
		// Streams ignore decoder_input_details.
		checkKeyRule(t, api.GenerateParameters{}, wrap(true), "decoder_input_details")
	})
	t.Run("tei", func(t *testing.T) {
		checkKeyRule(t, api.EmbedRequest{}, func(r api.EmbedRequest) any { return teiCacheRequest(r) }, "model")
		checkKeyRule(t, api.RerankRequest{}, func(r api.RerankRequest) any { return teiCacheRequest(r) }, "model")
		checkKeyRule(t, api.PredictRequest{}, func(r api.PredictRequest) any { return teiCacheRequest(r) }, "model")
	})
}

// TestCacheKeyFromBodies: bodies that differ only in field order, number
// spelling or the excluded fields decode to one key.
func TestCacheKeyFromBodies(t *testing.T) {
	decode := func(body string) api.ChatCompletionRequest {
		var r api.ChatCompletionRequest
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	a := decode(`{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0,"max_tokens":8,"seed":1}`)
	b := decode(`{"seed":1,"max_tokens":8,"temperature":0.0e0,"messages":[{"content":"hi","role":"user"}],"user":"u","stream":true,"model":"other"}`)
	c := decode(`{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0,"max_tokens":9,"seed":1}`)
	if testKey(t, chatCacheRequest(a)) != testKey(t, chatCacheRequest(b)) {
		t.Error("spelling, order, user, stream or model changed the key")
	}
	if testKey(t, chatCacheRequest(a)) == testKey(t, chatCacheRequest(c)) {
		t.Error("max_tokens did not change the key")
	}
}
