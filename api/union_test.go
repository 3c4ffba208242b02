package api

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// decodeStrict decodes data into a new T as the server does.
func decodeStrict[T any](data string) (T, error) {
	var v T
	dec := json.NewDecoder(strings.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(&v)
	return v, err
}

func TestPromptInput(t *testing.T) {
	tests := []struct {
		in   string
		want PromptInput
		bad  bool
	}{
		{in: `"hi"`, want: PromptInput{Texts: []string{"hi"}}},
		{in: `["a","b"]`, want: PromptInput{Texts: []string{"a", "b"}}},
		{in: `[]`, want: PromptInput{Texts: []string{}}},
		{in: `[1,2,3]`, want: PromptInput{Tokens: [][]int32{{1, 2, 3}}}},
		{in: `[[1],[2,3],[]]`, want: PromptInput{Tokens: [][]int32{{1}, {2, 3}, {}}}},
		{in: `[2147483647]`, want: PromptInput{Tokens: [][]int32{{2147483647}}}},
		{in: `[2147483648]`, bad: true},
		{in: `[-1]`, bad: true},
		{in: `[1.5]`, bad: true},
		{in: `[1e2]`, bad: true},
		{in: `[1,"a"]`, bad: true},
		{in: `[[1],"a"]`, bad: true},
		{in: `[[1,"a"]]`, bad: true},
		{in: `{}`, bad: true},
		{in: `true`, bad: true},
		{in: `5`, bad: true},
	}
	for _, tt := range tests {
		got, err := decodeStrict[PromptInput](tt.in)
		if tt.bad {
			var te *json.UnmarshalTypeError
			if !errors.As(err, &te) {
				t.Errorf("%s: error %v, want a *json.UnmarshalTypeError", tt.in, err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

// TestUnionFieldErrors checks that a union's type error names the field
// it sits in (encoding/json fills it in) and says what it accepts.
func TestUnionFieldErrors(t *testing.T) {
	_, err := decodeStrict[CompletionRequest](`{"prompt":{"a":1}}`)
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) || te.Field != "prompt" {
		t.Fatalf("error %v: want a type error on field prompt", err)
	}
	ej, ok := reflect.Zero(te.Type).Interface().(interface{ ExpectedJSON() string })
	if !ok || !strings.Contains(ej.ExpectedJSON(), "array of token ids") {
		t.Fatalf("type %v does not describe the shapes it accepts", te.Type)
	}
}

func TestChatContent(t *testing.T) {
	msg, err := decodeStrict[ChatMessage](`{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"u"}}]}`)
	if err != nil {
		t.Fatal(err)
	}
	if msg.Content == nil || len(msg.Content.Parts) != 2 || msg.Content.Parts[0].Text != "a" || msg.Content.Parts[1].Type != "image_url" {
		t.Fatalf("parts = %+v", msg.Content)
	}
	msg, err = decodeStrict[ChatMessage](`{"role":"assistant","content":null}`)
	if err != nil || msg.Content != nil {
		t.Fatalf("null content: %+v, %v", msg.Content, err)
	}
	for _, bad := range []string{`{"content":5}`, `{"content":["a"]}`, `{"content":{}}`} {
		if _, err := decodeStrict[ChatMessage](bad); err == nil {
			t.Errorf("%s decoded", bad)
		}
	}
}

func TestPredictInputs(t *testing.T) {
	tests := []struct {
		in   string
		want PredictInputs
		bad  bool
	}{
		{in: `"a"`, want: PredictInputs{Sequences: []PredictSequence{{Text: "a"}}}},
		{in: `["a"]`, want: PredictInputs{Sequences: []PredictSequence{{Text: "a"}}}},
		{in: `["a","b"]`, want: PredictInputs{Sequences: []PredictSequence{{Text: "a", TextPair: "b", Pair: true}}}},
		{in: `[["a"],["b","c"]]`, want: PredictInputs{Batch: true, Sequences: []PredictSequence{{Text: "a"}, {Text: "b", TextPair: "c", Pair: true}}}},
		{in: `[]`, want: PredictInputs{Batch: true, Sequences: []PredictSequence{}}},
		{in: `["a","b","c"]`, bad: true},
		{in: `[["a","b","c"]]`, bad: true},
		{in: `[[]]`, bad: true},
		{in: `[["a"],"b"]`, bad: true},
		{in: `[1]`, bad: true},
		{in: `{}`, bad: true},
	}
	for _, tt := range tests {
		got, err := decodeStrict[PredictInputs](tt.in)
		if tt.bad != (err != nil) || !tt.bad && !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %+v, %v; want %+v (bad %v)", tt.in, got, err, tt.want, tt.bad)
		}
	}
}

func TestEmbedInputsAndDecodeIDs(t *testing.T) {
	in, err := decodeStrict[EmbedInputs](`["a",[1,2]]`)
	if err != nil || !reflect.DeepEqual(in, EmbedInputs{{Text: "a"}, {IDs: []int32{1, 2}}}) {
		t.Fatalf("mixed batch: %+v, %v", in, err)
	}
	in, err = decodeStrict[EmbedInputs](`[1,2]`)
	if err != nil || !reflect.DeepEqual(in, EmbedInputs{{IDs: []int32{1, 2}}}) {
		t.Fatalf("ids: %+v, %v", in, err)
	}
	ids, err := decodeStrict[DecodeIDs](`[1,2]`)
	if err != nil || !reflect.DeepEqual(ids, DecodeIDs{{1, 2}}) {
		t.Fatalf("one list: %+v, %v", ids, err)
	}
	ids, err = decodeStrict[DecodeIDs](`[[1],[2]]`)
	if err != nil || !reflect.DeepEqual(ids, DecodeIDs{{1}, {2}}) {
		t.Fatalf("lists: %+v, %v", ids, err)
	}
	for _, bad := range []string{`"a"`, `[1,[2]]`, `[-1]`} {
		if _, err := decodeStrict[DecodeIDs](bad); err == nil {
			t.Errorf("DecodeIDs %s decoded", bad)
		}
	}
}

func TestOptionalIntAndTruncation(t *testing.T) {
	p, err := decodeStrict[GenerateParameters](`{}`)
	if err != nil || p.MaxNewTokens.Present {
		t.Fatalf("absent: %+v, %v", p.MaxNewTokens, err)
	}
	p, err = decodeStrict[GenerateParameters](`{"max_new_tokens":null}`)
	if err != nil || !p.MaxNewTokens.Present || p.MaxNewTokens.Value != nil {
		t.Fatalf("null: %+v, %v", p.MaxNewTokens, err)
	}
	p, err = decodeStrict[GenerateParameters](`{"max_new_tokens":7}`)
	if err != nil || p.MaxNewTokens.Value == nil || *p.MaxNewTokens.Value != 7 {
		t.Fatalf("7: %+v, %v", p.MaxNewTokens, err)
	}
	if _, err := decodeStrict[GenerateParameters](`{"max_new_tokens":7.5}`); err == nil {
		t.Fatal("7.5 decoded")
	}
	out, _ := json.Marshal(GenerateParameters{})
	if string(out) != `{}` {
		t.Fatalf("empty parameters marshal to %s", out)
	}
	for in, want := range map[string]TruncationDirection{`"left"`: TruncateLeft, `"Right"`: TruncateRight, `null`: TruncateRight} {
		var d TruncationDirection
		if err := json.Unmarshal([]byte(in), &d); err != nil || d != want {
			t.Errorf("%s: %q, %v", in, d, err)
		}
	}
	var d TruncationDirection
	if err := json.Unmarshal([]byte(`"up"`), &d); err == nil {
		t.Error(`"up" decoded`)
	}
}

func TestEmbeddingVectorJSON(t *testing.T) {
	got, _ := json.Marshal(Embedding{Object: ObjectEmbedding, Embedding: EmbeddingVector{Float: []float32{0.5, -1}}})
	if string(got) != `{"object":"embedding","index":0,"embedding":[0.5,-1]}` {
		t.Errorf("float: %s", got)
	}
	got, _ = json.Marshal(EmbeddingVector{Base64: "AAAA"})
	if string(got) != `"AAAA"` {
		t.Errorf("base64: %s", got)
	}
}

func TestAdminModelListJSON(t *testing.T) {
	got, err := json.Marshal(AdminModelList{Object: ObjectList, Data: []AdminModel{{ID: "m", Object: ObjectAdminModel, State: "available", Evictions: map[string]uint64{}}}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"object":"list","data":[{"id":"m","object":"admin.model","state":"available","pinned":false,"keep_alive_seconds":0,"estimated_bytes":0,"resident_bytes":0,"reserved_bytes":0,"last_used":null,"in_flight":0,"hits":0,"misses":0,"evictions":{},"loads":0,"load_failures":0,"last_load_seconds":0}],"memory":{"budget_bytes":0,"reserved_bytes":0,"max_loaded_models":0,"loaded_models":0}}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// roundTrip decodes data into a T; when that works, encoding and decoding
// again must give the same value.
func roundTrip[T any](t *testing.T, data []byte) {
	var v T
	if json.Unmarshal(data, &v) != nil {
		return
	}
	enc, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%T %q: decoded but does not encode: %v", v, data, err)
	}
	var back T
	if err := json.Unmarshal(enc, &back); err != nil {
		t.Fatalf("%T: %s does not decode again: %v", v, enc, err)
	}
	if !reflect.DeepEqual(v, back) {
		t.Fatalf("%T: %q decoded to %+v, its encoding %s to %+v", v, data, v, enc, back)
	}
}

// FuzzUnions feeds arbitrary JSON to every union type: none may panic,
// and what decodes must survive an encode-decode round trip.
func FuzzUnions(f *testing.F) {
	for _, s := range []string{`"a"`, `["a","b"]`, `[1,2]`, `[[1],[2,3]]`, `[]`, `[[]]`, `null`, `[["a"],["b","c"]]`,
		`["a",[1]]`, `[{"type":"text","text":"x"}]`, `7`, `"left"`, `{"a":1}`, `[1,"a"]`, `[-1]`, `"\ud800"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		roundTrip[PromptInput](t, data)
		roundTrip[StopSequences](t, data)
		roundTrip[ChatContent](t, data)
		roundTrip[EmbedInputs](t, data)
		roundTrip[PredictInputs](t, data)
		roundTrip[TokenizeInputs](t, data)
		roundTrip[DecodeIDs](t, data)
		roundTrip[OptionalInt](t, data)
		roundTrip[TruncationDirection](t, data)
		roundTrip[EmbeddingVector](t, data)
	})
}
