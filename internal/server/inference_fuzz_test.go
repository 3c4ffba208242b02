package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"hfserve/internal/serving"
	"hfserve/internal/skills"
)

// fuzzRoutes are the routes the fuzzer posts to, and whether they answer
// errors in the OpenAI shape (else TGI's / TEI's).
var fuzzRoutes = []struct {
	path   string
	openAI bool
}{
	{"/v1/chat/completions", true}, {"/v1/completions", true}, {"/v1/embeddings", true},
	{"/generate", false}, {"/generate_stream", false},
	{"/embed", false}, {"/rerank", false}, {"/predict", false}, {"/tokenize", false}, {"/decode", false},
}

// brokenModelServer serves one model that claims every task but whose
// folder is empty: every request the handlers accept fails fast at the
// load, so fuzzing exercises the decoding and validation, never the
// engine.
func brokenModelServer(t testing.TB) http.Handler {
	t.Helper()
	det := skills.Detection{Architecture: "LlamaForCausalLM", ModelType: "llama", Family: skills.FamilyLlama, Head: skills.HeadCausalLM, Supported: true,
		Tasks: []skills.Task{skills.TaskTextGeneration, skills.TaskChat, skills.TaskEmbeddings, skills.TaskClassification, skills.TaskRerank}}
	h, _ := newInferenceServer(t, serving.Entry{Name: "m", Ref: "m", Dir: t.TempDir(), Detection: det})
	return h
}

// checkShape fails unless rec is a well-formed answer: a JSON body or an
// event stream on success, the route's error shape otherwise.
func checkShape(t *testing.T, rec *httptest.ResponseRecorder, openAI bool) {
	t.Helper()
	switch ct := rec.Header().Get("Content-Type"); {
	case rec.Code == http.StatusOK && ct == "text/event-stream":
		sseEvents(t, rec.Body.String(), "data:")
	case rec.Code == http.StatusOK:
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("200 with a body that is not JSON: %q", rec.Body)
		}
	case rec.Code < 400 || rec.Code > 599:
		t.Fatalf("status %d", rec.Code)
	case openAI:
		decodeError(t, rec.Body.Bytes())
	default:
		decodeHFError(t, rec.Body.Bytes())
	}
}

// FuzzInferenceRequests posts arbitrary bodies to every inference route:
// no panic, and always a well-formed answer in the route's shape.
func FuzzInferenceRequests(f *testing.F) {
	seeds := map[string][]string{
		"/v1/chat/completions": {chatBody(`"stream":true,"n":2,"stop":["x"],"logit_bias":{"1":-100},"logprobs":true,"top_logprobs":2`),
			`{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a"}]}],"tools":[{}],"tool_choice":"auto"}`},
		"/v1/completions":  {`{"model":"m","prompt":[[1,2],[3]],"echo":true,"logprobs":2,"best_of":1,"suffix":""}`, `{"prompt":"a","stream":true,"stream_options":{"include_usage":true}}`},
		"/v1/embeddings":   {`{"model":"m","input":["a","b"],"encoding_format":"base64","dimensions":4}`, `{"input":[1,2,3]}`},
		"/generate":        {`{"inputs":"a","parameters":{"max_new_tokens":null,"details":true,"top_n_tokens":2,"truncate":3,"seed":1,"do_sample":true}}`},
		"/generate_stream": {`{"model":"m","inputs":"a","parameters":{"stop":["b"],"return_full_text":true}}`},
		"/embed":           {`{"inputs":["a",[1,2]],"normalize":false,"truncate":true,"truncation_direction":"left"}`},
		"/rerank":          {`{"query":"q","texts":["a","b"],"return_text":true,"raw_scores":true}`},
		"/predict":         {`{"inputs":[["a"],["b","c"]]}`, `{"inputs":["a","b"]}`},
		"/tokenize":        {`{"inputs":["a"],"add_special_tokens":false}`},
		"/decode":          {`{"ids":[[1],[2,3]],"skip_special_tokens":false}`},
	}
	for i, r := range fuzzRoutes {
		for _, s := range seeds[r.path] {
			f.Add(uint8(i), []byte(s))
		}
		f.Add(uint8(i), []byte(`{`))
		f.Add(uint8(i), []byte(`{"model":"m","unknown":1}`))
	}
	h := brokenModelServer(f)
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		r := fuzzRoutes[int(route)%len(fuzzRoutes)]
		rec := serve(h, http.MethodPost, r.path, strings.NewReader(string(body)), nil)
		checkShape(t, rec, r.openAI)
	})
}
