package server

import (
	"net/http"
	"strings"
	"testing"

	"hfserve/api"
)

// badInputServer is shared by the bad-input tests: every request here is
// refused before any model is loaded, so they need no working backend.
func badInputServer(t *testing.T) http.Handler {
	t.Helper()
	h, _ := newInferenceServer(t, inferenceModels(t)...)
	return h
}

// openAICase is a request an OpenAI route must refuse.
type openAICase struct {
	name                 string
	body                 string
	status               int
	errType, code, param string
}

func runOpenAICases(t *testing.T, path string, cases []openAICase) {
	t.Helper()
	h := badInputServer(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := post(h, path, tc.body)
			errType := tc.errType
			if errType == "" {
				errType = api.ErrTypeInvalidRequest
			}
			checkError(t, rec, tc.status, errType, tc.code, tc.param)
		})
	}
}

// bad400 is the common case: a 400 naming param.
func bad400(name, body, param string) openAICase {
	return openAICase{name: name, body: body, status: http.StatusBadRequest, param: param}
}

// chat builds a chat body from the default valid fields plus extra JSON
// fields ("" for none).
func chatBody(extra string) string {
	body := `{"model":"chat","messages":[{"role":"user","content":"hi"}]`
	if extra != "" {
		body += "," + extra
	}
	return body + "}"
}

func TestChatCompletionsBadInput(t *testing.T) {
	cases := []openAICase{
		bad400("malformed JSON", `{"model":`, ""),
		bad400("empty body", ``, ""),
		bad400("two JSON values", chatBody("")+`{}`, ""),
		bad400("body not an object", `[1,2]`, ""),
		bad400("messages not an array", `{"model":"chat","messages":"hi"}`, "messages"),
		bad400("content a number", `{"model":"chat","messages":[{"role":"user","content":5}]}`, "messages.content"),
		bad400("content part not an object", `{"model":"chat","messages":[{"role":"user","content":["hi"]}]}`, "messages.content"),
		bad400("functions", chatBody(`"functions":[{"name":"f"}]`), "functions"),
		bad400("audio", chatBody(`"audio":{"voice":"alloy","format":"wav"}`), "audio"),
		bad400("modalities", chatBody(`"modalities":["text","audio"]`), "modalities"),
		bad400("prediction", chatBody(`"prediction":{"type":"content","content":"x"}`), "prediction"),
		bad400("unknown message field", `{"model":"chat","messages":[{"role":"user","content":"hi","mood":"x"}]}`, "mood"),
		{name: "unknown model", body: `{"model":"nope","messages":[{"role":"user","content":"hi"}]}`,
			status: http.StatusNotFound, code: "model_not_found", param: "model"},
		{name: "model without chat", body: `{"model":"embed","messages":[{"role":"user","content":"hi"}]}`,
			status: http.StatusBadRequest, code: "model_not_supported", param: "model"},
		bad400("no messages", `{"model":"chat","messages":[]}`, "messages"),
		bad400("messages missing", `{"model":"chat"}`, "messages"),
		bad400("unknown role", `{"model":"chat","messages":[{"role":"robot","content":"hi"}]}`, "messages[0].role"),
		bad400("missing role", `{"model":"chat","messages":[{"content":"hi"}]}`, "messages[0].role"),
		bad400("missing content", `{"model":"chat","messages":[{"role":"system","content":"a"},{"role":"user"}]}`, "messages[1].content"),
		bad400("image part", `{"model":"chat","messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"x"}}]}]}`, "messages[0].content[1].type"),
		bad400("part without type", `{"model":"chat","messages":[{"role":"user","content":[{"text":"a"}]}]}`, "messages[0].content[0].type"),
		bad400("temperature too high", chatBody(`"temperature":2.5`), "temperature"),
		bad400("temperature negative", chatBody(`"temperature":-0.1`), "temperature"),
		bad400("temperature a string", chatBody(`"temperature":"hot"`), "temperature"),
		bad400("top_p over 1", chatBody(`"top_p":1.5`), "top_p"),
		bad400("n zero", chatBody(`"n":0`), "n"),
		bad400("n too many", chatBody(`"n":129`), "n"),
		bad400("n fractional", chatBody(`"n":1.5`), "n"),
		bad400("max_tokens zero", chatBody(`"max_tokens":0`), "max_tokens"),
		bad400("max_completion_tokens negative", chatBody(`"max_completion_tokens":-1`), "max_completion_tokens"),
		bad400("presence_penalty", chatBody(`"presence_penalty":3`), "presence_penalty"),
		bad400("frequency_penalty", chatBody(`"frequency_penalty":-2.5`), "frequency_penalty"),
		bad400("five stop sequences", chatBody(`"stop":["a","b","c","d","e"]`), "stop"),
		bad400("empty stop sequence", chatBody(`"stop":""`), "stop"),
		bad400("stop a number", chatBody(`"stop":5`), "stop"),
		bad400("stop list with a number", chatBody(`"stop":["a",5]`), "stop"),
		bad400("logit_bias key not an id", chatBody(`"logit_bias":{"abc":1}`), "logit_bias"),
		bad400("logit_bias negative id", chatBody(`"logit_bias":{"-3":1}`), "logit_bias"),
		bad400("logit_bias out of range", chatBody(`"logit_bias":{"5":101}`), "logit_bias"),
		bad400("top_logprobs without logprobs", chatBody(`"top_logprobs":2`), "top_logprobs"),
		bad400("top_logprobs too many", chatBody(`"logprobs":true,"top_logprobs":21`), "top_logprobs"),
		bad400("logprobs a string", chatBody(`"logprobs":"yes"`), "logprobs"),
		bad400("response_format json", chatBody(`"response_format":{"type":"json_object"}`), "response_format"),
		bad400("tool_choice required", chatBody(`"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"required"`), "tool_choice"),
		bad400("tool_choice a function", chatBody(`"tool_choice":{"type":"function","function":{"name":"f"}}`), "tool_choice"),
		bad400("tool not an object", chatBody(`"tools":["f"]`), "tools[0]"),
		bad400("stream_options without stream", chatBody(`"stream_options":{"include_usage":true}`), "stream_options"),
		bad400("seed a string", chatBody(`"seed":"x"`), "seed"),
		bad400("user a number", chatBody(`"user":5`), "user"),
	}
	runOpenAICases(t, "/v1/chat/completions", cases)
}

func TestCompletionsBadInput(t *testing.T) {
	body := func(extra string) string {
		b := `{"model":"stories260k","prompt":"Once"`
		if extra != "" {
			b += "," + extra
		}
		return b + "}"
	}
	cases := []openAICase{
		bad400("malformed JSON", `{"prompt":"x"`, ""),
		bad400("empty body", ` `, ""),
		bad400("prompt missing", `{"model":"stories260k"}`, "prompt"),
		bad400("no prompts", `{"model":"stories260k","prompt":[]}`, "prompt"),
		bad400("empty token prompt", `{"model":"stories260k","prompt":[[1,2],[]]}`, "prompt[1]"),
		bad400("prompt a boolean", `{"model":"stories260k","prompt":true}`, "prompt"),
		bad400("prompt mixing strings and ids", `{"model":"stories260k","prompt":[1,"a"]}`, "prompt"),
		bad400("negative token id", `{"model":"stories260k","prompt":[-1]}`, "prompt"),
		bad400("fractional token id", `{"model":"stories260k","prompt":[1.5]}`, "prompt"),
		bad400("token id too large", `{"model":"stories260k","prompt":[[4294967296]]}`, "prompt"),
		bad400("suffix", body(`"suffix":"The end."`), "suffix"),
		bad400("logprobs too many", body(`"logprobs":6`), "logprobs"),
		bad400("logprobs negative", body(`"logprobs":-1`), "logprobs"),
		bad400("best_of above n", body(`"best_of":3`), "best_of"),
		bad400("max_tokens zero", body(`"max_tokens":0`), "max_tokens"),
		bad400("echo a string", body(`"echo":"x"`), "echo"),
		bad400("temperature too high", body(`"temperature":3`), "temperature"),
		bad400("stream_options without stream", body(`"stream_options":{"include_usage":true}`), "stream_options"),
		bad400("unknown field", body(`"messages":[]`), "messages"),
		{name: "unknown model", body: `{"model":"nope","prompt":"x"}`, status: http.StatusNotFound, code: "model_not_found", param: "model"},
		{name: "model without text generation", body: `{"model":"embed","prompt":"x"}`, status: http.StatusBadRequest, code: "model_not_supported", param: "model"},
		bad400("too many prompts", `{"model":"stories260k","prompt":[`+strings.Repeat(`"a",`, maxBatchInputs)+`"a"]}`, "prompt"),
	}
	runOpenAICases(t, "/v1/completions", cases)
}

func TestEmbeddingsBadInput(t *testing.T) {
	cases := []openAICase{
		bad400("malformed JSON", `{"input":}`, ""),
		bad400("input missing", `{"model":"embed"}`, "input"),
		bad400("no inputs", `{"model":"embed","input":[]}`, "input"),
		bad400("empty string", `{"model":"embed","input":""}`, "input[0]"),
		bad400("empty string in a list", `{"model":"embed","input":["a",""]}`, "input[1]"),
		bad400("empty token list", `{"model":"embed","input":[[]]}`, "input[0]"),
		bad400("input an object", `{"model":"embed","input":{"text":"a"}}`, "input"),
		bad400("encoding_format", `{"model":"embed","input":"a","encoding_format":"hex"}`, "encoding_format"),
		bad400("dimensions zero", `{"model":"embed","input":"a","dimensions":0}`, "dimensions"),
		bad400("dimensions a string", `{"model":"embed","input":"a","dimensions":"8"}`, "dimensions"),
		bad400("unknown field", `{"model":"embed","input":"a","truncate":true}`, "truncate"),
		bad400("too many inputs", `{"model":"embed","input":[`+strings.Repeat(`"a",`, maxBatchInputs)+`"a"]}`, "input"),
		{name: "unknown model", body: `{"model":"nope","input":"a"}`, status: http.StatusNotFound, code: "model_not_found", param: "model"},
		{name: "model without embeddings", body: `{"model":"stories260k","input":"a"}`, status: http.StatusBadRequest, code: "model_not_supported", param: "model"},
	}
	runOpenAICases(t, "/v1/embeddings", cases)
}

// hfCase is a request a TGI or TEI route must refuse.
type hfCase struct {
	name    string
	path    string
	body    string
	status  int
	errType string
}

func runHFCases(t *testing.T, cases []hfCase) {
	t.Helper()
	h := badInputServer(t)
	for _, tc := range cases {
		t.Run(tc.path+" "+tc.name, func(t *testing.T) {
			checkHFError(t, post(h, tc.path, tc.body), tc.status, tc.errType)
		})
	}
}

func TestTGIBadInput(t *testing.T) {
	const v = api.TGIErrorValidation
	gen := func(params string) string {
		return `{"model":"stories260k","inputs":"Once","parameters":{` + params + `}}`
	}
	var cases []hfCase
	for _, path := range []string{"/generate", "/generate_stream"} {
		for _, c := range []hfCase{
			{name: "malformed JSON", body: `{"inputs":`, status: http.StatusBadRequest},
			{name: "empty body", body: ``, status: http.StatusBadRequest},
			{name: "inputs a number", body: `{"inputs":5}`, status: http.StatusUnprocessableEntity},
			{name: "unknown field", body: `{"inputs":"a","stream":true}`, status: http.StatusUnprocessableEntity},
			{name: "unknown parameter", body: gen(`"max_tokens":5`), status: http.StatusUnprocessableEntity},
			{name: "empty inputs", body: `{"inputs":""}`, status: http.StatusUnprocessableEntity},
			{name: "inputs missing", body: `{"parameters":{}}`, status: http.StatusUnprocessableEntity},
			{name: "max_new_tokens negative", body: gen(`"max_new_tokens":-1`), status: http.StatusUnprocessableEntity},
			{name: "max_new_tokens zero", body: gen(`"max_new_tokens":0`), status: http.StatusUnprocessableEntity},
			{name: "max_new_tokens a string", body: gen(`"max_new_tokens":"x"`), status: http.StatusUnprocessableEntity},
			{name: "max_new_tokens fractional", body: gen(`"max_new_tokens":1.5`), status: http.StatusUnprocessableEntity},
			{name: "temperature zero", body: gen(`"temperature":0`), status: http.StatusUnprocessableEntity},
			{name: "top_p one", body: gen(`"top_p":1`), status: http.StatusUnprocessableEntity},
			{name: "top_k zero", body: gen(`"top_k":0`), status: http.StatusUnprocessableEntity},
			{name: "repetition_penalty zero", body: gen(`"repetition_penalty":0`), status: http.StatusUnprocessableEntity},
			{name: "frequency_penalty", body: gen(`"frequency_penalty":3`), status: http.StatusUnprocessableEntity},
			{name: "five stop sequences", body: gen(`"stop":["a","b","c","d","e"]`), status: http.StatusUnprocessableEntity},
			{name: "empty stop sequence", body: gen(`"stop":[""]`), status: http.StatusUnprocessableEntity},
			{name: "top_n_tokens", body: gen(`"top_n_tokens":6`), status: http.StatusUnprocessableEntity},
			{name: "truncate zero", body: gen(`"truncate":0`), status: http.StatusUnprocessableEntity},
			{name: "typical_p", body: gen(`"typical_p":0.5`), status: http.StatusUnprocessableEntity},
			{name: "watermark", body: gen(`"watermark":true`), status: http.StatusUnprocessableEntity},
			{name: "grammar", body: gen(`"grammar":{"type":"regex","value":"a+"}`), status: http.StatusUnprocessableEntity},
			{name: "adapter_id", body: gen(`"adapter_id":"lora"`), status: http.StatusUnprocessableEntity},
			{name: "best_of", body: gen(`"best_of":2`), status: http.StatusUnprocessableEntity},
			{name: "negative seed", body: gen(`"seed":-1`), status: http.StatusUnprocessableEntity},
			{name: "unknown model", body: `{"model":"nope","inputs":"a"}`, status: http.StatusNotFound},
			{name: "model without text generation", body: `{"model":"embed","inputs":"a"}`, status: http.StatusUnprocessableEntity},
		} {
			c.path, c.errType = path, v
			cases = append(cases, c)
		}
	}
	runHFCases(t, cases)
	t.Run("info of an unknown model", func(t *testing.T) {
		rec := serve(badInputServer(t), http.MethodGet, "/info?model=nope", nil, nil)
		checkHFError(t, rec, http.StatusNotFound, v)
	})
}

func TestTEIBadInput(t *testing.T) {
	const (
		val   = api.TEIErrorValidation
		empty = api.TEIErrorEmpty
		back  = api.TEIErrorBackend
	)
	many := `[` + strings.Repeat(`"a",`, maxBatchInputs) + `"a"]`
	cases := []hfCase{
		{"malformed JSON", "/embed", `{"inputs":[`, http.StatusBadRequest, val},
		{"inputs a number", "/embed", `{"model":"embed","inputs":5}`, http.StatusUnprocessableEntity, val},
		{"unknown field", "/embed", `{"model":"embed","inputs":"a","pooling":"cls"}`, http.StatusUnprocessableEntity, val},
		{"no inputs", "/embed", `{"model":"embed","inputs":[]}`, http.StatusBadRequest, empty},
		{"inputs missing", "/embed", `{"model":"embed"}`, http.StatusBadRequest, empty},
		{"empty string", "/embed", `{"model":"embed","inputs":""}`, http.StatusBadRequest, empty},
		{"empty string in a batch", "/embed", `{"model":"embed","inputs":["a",""]}`, http.StatusBadRequest, empty},
		{"negative token id", "/embed", `{"model":"embed","inputs":[[1,-2]]}`, http.StatusUnprocessableEntity, val},
		{"prompt_name", "/embed", `{"model":"embed","inputs":"a","prompt_name":"query"}`, http.StatusRequestEntityTooLarge, val},
		{"truncation_direction", "/embed", `{"model":"embed","inputs":"a","truncation_direction":"Up"}`, http.StatusUnprocessableEntity, val},
		{"dimensions zero", "/embed", `{"model":"embed","inputs":"a","dimensions":0}`, http.StatusRequestEntityTooLarge, val},
		{"batch too big", "/embed", `{"model":"embed","inputs":` + many + `}`, http.StatusRequestEntityTooLarge, val},
		{"unknown model", "/embed", `{"model":"nope","inputs":"a"}`, http.StatusNotFound, val},
		{"model without embeddings", "/embed", `{"model":"stories260k","inputs":"a"}`, http.StatusFailedDependency, back},

		{"no texts", "/rerank", `{"model":"rerank","query":"q","texts":[]}`, http.StatusBadRequest, empty},
		{"texts missing", "/rerank", `{"model":"rerank","query":"q"}`, http.StatusBadRequest, empty},
		{"query a number", "/rerank", `{"model":"rerank","query":5,"texts":["a"]}`, http.StatusUnprocessableEntity, val},
		{"batch too big", "/rerank", `{"model":"rerank","query":"q","texts":` + many + `}`, http.StatusRequestEntityTooLarge, val},
		{"model without rerank", "/rerank", `{"model":"embed","query":"q","texts":["a"]}`, http.StatusFailedDependency, back},

		{"no inputs", "/predict", `{"model":"cls","inputs":[]}`, http.StatusBadRequest, empty},
		{"three strings", "/predict", `{"model":"cls","inputs":["a","b","c"]}`, http.StatusUnprocessableEntity, val},
		{"batch of three", "/predict", `{"model":"cls","inputs":[["a","b","c"]]}`, http.StatusUnprocessableEntity, val},
		{"batch mixing", "/predict", `{"model":"cls","inputs":[["a"],"b"]}`, http.StatusUnprocessableEntity, val},
		{"inputs an object", "/predict", `{"model":"cls","inputs":{"a":1}}`, http.StatusUnprocessableEntity, val},
		{"model without classification", "/predict", `{"model":"embed","inputs":"a"}`, http.StatusFailedDependency, back},

		{"no inputs", "/tokenize", `{"model":"embed","inputs":[]}`, http.StatusBadRequest, empty},
		{"inputs a number", "/tokenize", `{"model":"embed","inputs":5}`, http.StatusUnprocessableEntity, val},
		{"prompt_name", "/tokenize", `{"model":"embed","inputs":"a","prompt_name":"q"}`, http.StatusRequestEntityTooLarge, val},
		{"unknown model", "/tokenize", `{"model":"nope","inputs":"a"}`, http.StatusNotFound, val},

		{"no ids", "/decode", `{"model":"embed","ids":[]}`, http.StatusBadRequest, empty},
		{"ids missing", "/decode", `{"model":"embed"}`, http.StatusBadRequest, empty},
		{"ids a string", "/decode", `{"model":"embed","ids":"a"}`, http.StatusUnprocessableEntity, val},
		{"negative id", "/decode", `{"model":"embed","ids":[-1]}`, http.StatusUnprocessableEntity, val},
		{"mixed ids", "/decode", `{"model":"embed","ids":[1,[2]]}`, http.StatusUnprocessableEntity, val},
		{"skip_special_tokens a string", "/decode", `{"model":"embed","ids":[1],"skip_special_tokens":"no"}`, http.StatusUnprocessableEntity, val},
	}
	runHFCases(t, cases)
}

// TestBadInputMessagesNameTheField checks that messages of decoding
// errors say which field is wrong and what it should be, for the union
// types too.
func TestBadInputMessagesNameTheField(t *testing.T) {
	h := badInputServer(t)
	for _, tc := range []struct{ path, body, want string }{
		{"/v1/completions", `{"model":"stories260k","prompt":{}}`, `invalid type for "prompt": expected a string, an array of strings, an array of token ids, or an array of arrays of token ids, got a JSON object`},
		{"/v1/chat/completions", chatBody(`"stop":{}`), `invalid type for "stop": expected a string or an array of strings, got a JSON object`},
		{"/v1/chat/completions", chatBody(`"functions":[]`), `unknown field "functions"`},
	} {
		rec := post(h, tc.path, tc.body)
		if e := decodeError(t, rec.Body.Bytes()); e.Message != tc.want {
			t.Errorf("%s %s: message %q, want %q", tc.path, tc.body, e.Message, tc.want)
		}
	}
	rec := post(h, "/predict", `{"model":"cls","inputs":["a","b","c"]}`)
	if e := decodeHFError(t, rec.Body.Bytes()); !strings.Contains(e.Error, `"inputs"`) || !strings.Contains(e.Error, "pair of strings") {
		t.Errorf("/predict message %q does not name inputs and its shapes", e.Error)
	}
}
