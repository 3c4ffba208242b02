package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"hfserve/api"
	"hfserve/internal/generate"
	"hfserve/internal/serving"
)

// decodeErr returns the error DecodeJSON's decoder reports for body.
func decodeErr(t *testing.T, body string) *RequestError {
	t.Helper()
	var v struct {
		Model string `json:"model"`
	}
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	re := decodeRequest(r, &v)
	if re == nil {
		t.Fatalf("body %q decoded without error", body)
	}
	return re
}

// wantReply is one API's expected answer to an error.
type wantReply struct {
	status      int
	errType     string
	code, param string // OpenAI only
	retryAfter  string
}

// TestErrorMappings maps one error of every cause onto the three API
// shapes. The expected statuses and types are the documented ones: the
// OpenAI API reference's error codes (and issue 5's 422 for the context
// length), TGI's router (422 validation, 429 overloaded, 424 generation)
// and TEI's ErrorType-to-status table (413 Validation, 400 Empty, 424
// Backend, 429 Overloaded, 503 Unhealthy).
func TestErrorMappings(t *testing.T) {
	ctxLen := &generate.ContextLengthError{MaxPositions: 512, PromptTokens: 600, MaxTokens: 16}
	tooLarge := &RequestError{Status: http.StatusRequestEntityTooLarge, Message: "too large", Err: &http.MaxBytesError{Limit: 10}}
	tests := []struct {
		name   string
		err    error
		cause  errCause
		openAI wantReply
		tgi    wantReply
		tei    wantReply
	}{
		{"malformed JSON", decodeErr(t, `{"model":`), causeSyntax,
			wantReply{400, api.ErrTypeInvalidRequest, "", "", ""}, wantReply{status: 400, errType: "validation"}, wantReply{status: 400, errType: "Validation"}},
		{"empty body", decodeErr(t, ``), causeSyntax,
			wantReply{400, api.ErrTypeInvalidRequest, "", "", ""}, wantReply{status: 400, errType: "validation"}, wantReply{status: 400, errType: "Validation"}},
		{"wrong type", decodeErr(t, `{"model":5}`), causeDecode,
			wantReply{400, api.ErrTypeInvalidRequest, "", "model", ""}, wantReply{status: 422, errType: "validation"}, wantReply{status: 422, errType: "Validation"}},
		{"unknown field", decodeErr(t, `{"functions":[]}`), causeDecode,
			wantReply{400, api.ErrTypeInvalidRequest, "", "functions", ""}, wantReply{status: 422, errType: "validation"}, wantReply{status: 422, errType: "Validation"}},
		{"body too large", tooLarge, causeTooLarge,
			wantReply{413, api.ErrTypeInvalidRequest, "request_too_large", "", ""}, wantReply{status: 413, errType: "validation"}, wantReply{status: 413, errType: "Validation"}},
		{"unknown model", &unknownModelError{name: "x"}, causeUnknownModel,
			wantReply{404, api.ErrTypeInvalidRequest, "model_not_found", "model", ""}, wantReply{status: 404, errType: "validation"}, wantReply{status: 404, errType: "Validation"}},
		{"unknown model from the service", fmt.Errorf("serving: model %q: %w", "x", serving.ErrUnknownModel), causeUnknownModel,
			wantReply{404, api.ErrTypeInvalidRequest, "model_not_found", "model", ""}, wantReply{status: 404, errType: "validation"}, wantReply{status: 404, errType: "Validation"}},
		{"model not allowed for the key", &modelForbiddenError{name: "m"}, causeForbidden,
			wantReply{403, api.ErrTypePermission, "model_not_allowed", "model", ""}, wantReply{status: 403, errType: "validation"}, wantReply{status: 403, errType: "Validation"}},
		{"wrong task", &serving.TaskError{Model: "m", Task: "embeddings"}, causeTask,
			wantReply{400, api.ErrTypeInvalidRequest, "model_not_supported", "model", ""}, wantReply{status: 422, errType: "validation"}, wantReply{status: 424, errType: "Backend"}},
		{"bad input", fmt.Errorf("wrapped: %w", &serving.InputError{Param: "input[3]", Msg: "too long"}), causeInput,
			wantReply{400, api.ErrTypeInvalidRequest, "", "input[3]", ""}, wantReply{status: 422, errType: "validation"}, wantReply{status: 413, errType: "Validation"}},
		{"bad parameter", &generate.ParamError{Param: "top_p", Msg: "out of range"}, causeInput,
			wantReply{400, api.ErrTypeInvalidRequest, "", "top_p", ""}, wantReply{status: 422, errType: "validation"}, wantReply{status: 413, errType: "Validation"}},
		{"every token masked", generate.ErrNoCandidates, causeInput,
			wantReply{400, api.ErrTypeInvalidRequest, "", "logit_bias", ""}, wantReply{status: 422, errType: "validation"}, wantReply{status: 413, errType: "Validation"}},
		{"empty input", &emptyInputError{param: "inputs", msg: "`inputs` cannot be empty"}, causeEmpty,
			wantReply{400, api.ErrTypeInvalidRequest, "", "inputs", ""}, wantReply{status: 422, errType: "validation"}, wantReply{status: 400, errType: "Empty"}},
		{"context length", fmt.Errorf("generate: %w", ctxLen), causeContext,
			wantReply{422, api.ErrTypeInvalidRequest, "context_length_exceeded", "prompt", ""}, wantReply{status: 422, errType: "validation"}, wantReply{status: 413, errType: "Validation"}},
		{"no capacity now", &serving.CapacityError{Model: "m", NeedBytes: 10, BudgetBytes: 5}, causeCapacity,
			wantReply{503, api.ErrTypeOverloaded, "model_capacity_exceeded", "", "5"}, wantReply{429, "overloaded", "", "", "5"}, wantReply{429, "Overloaded", "", "", "5"}},
		{"never fits", &serving.CapacityError{Model: "m", Permanent: true}, causeCapacity,
			wantReply{503, api.ErrTypeOverloaded, "model_capacity_exceeded", "", ""}, wantReply{status: 429, errType: "overloaded"}, wantReply{status: 429, errType: "Overloaded"}},
		{"load timeout", fmt.Errorf("model m: %w", serving.ErrLoadTimeout), causeLoadTimeout,
			wantReply{503, api.ErrTypeServiceUnavailable, "model_load_timeout", "", "1"}, wantReply{429, "overloaded", "", "", "1"}, wantReply{429, "Overloaded", "", "", "1"}},
		{"closed", serving.ErrClosed, causeClosed,
			wantReply{503, api.ErrTypeServiceUnavailable, "shutting_down", "", "1"}, wantReply{503, "unhealthy", "", "", "1"}, wantReply{503, "Unhealthy", "", "", "1"}},
		{"load failed", &serving.LoadError{Model: "m", Err: errors.New("corrupt weights")}, causeLoadFailed,
			wantReply{500, api.ErrTypeServer, "model_load_failed", "", ""}, wantReply{status: 424, errType: "generation"}, wantReply{status: 424, errType: "Backend"}},
		{"bad logits", fmt.Errorf("step 3: %w", generate.ErrBadLogits), causeModelFailed,
			wantReply{500, api.ErrTypeServer, "model_error", "", ""}, wantReply{status: 424, errType: "generation"}, wantReply{status: 424, errType: "Backend"}},
		{"model panicked", fmt.Errorf("schedule: forward pass: %w", &serving.PanicError{Model: "m", Value: "boom"}), causeModelFailed,
			wantReply{500, api.ErrTypeServer, "model_error", "", ""}, wantReply{status: 424, errType: "generation"}, wantReply{status: 424, errType: "Backend"}},
		// Retry-After rounds up to whole seconds.
		{"breaker open", &serving.BreakerOpenError{Model: "m", State: "open", RetryAfter: 41500 * time.Millisecond}, causeBreakerOpen,
			wantReply{503, api.ErrTypeServiceUnavailable, "circuit_open", "", "42"}, wantReply{503, "unhealthy", "", "", "42"}, wantReply{503, "Unhealthy", "", "", "42"}},
		{"breaker half open", &serving.BreakerOpenError{Model: "m", State: "half_open", RetryAfter: time.Second}, causeBreakerOpen,
			wantReply{503, api.ErrTypeServiceUnavailable, "circuit_open", "", "1"}, wantReply{503, "unhealthy", "", "", "1"}, wantReply{503, "Unhealthy", "", "", "1"}},
		// A backoff wraps the last load's error, even a timeout: the backoff decides.
		{"load backing off", &serving.LoadBackoffError{Model: "m", Failures: 2, RetryAfter: 300 * time.Millisecond,
			Err: &serving.LoadError{Model: "m", Err: serving.ErrLoadTimeout}}, causeLoadBackoff,
			wantReply{503, api.ErrTypeServiceUnavailable, "model_load_backoff", "", "1"}, wantReply{503, "unhealthy", "", "", "1"}, wantReply{503, "Unhealthy", "", "", "1"}},
		{"deadline", fmt.Errorf("generate: %w", context.DeadlineExceeded), causeTimeout,
			wantReply{503, api.ErrTypeServiceUnavailable, "timeout", "", ""}, wantReply{status: 503, errType: "unhealthy"}, wantReply{status: 503, errType: "Unhealthy"}},
		{"cancelled", context.Canceled, causeTimeout,
			wantReply{503, api.ErrTypeServiceUnavailable, "timeout", "", ""}, wantReply{status: 503, errType: "unhealthy"}, wantReply{status: 503, errType: "Unhealthy"}},
		{"over max_input_tokens", &serving.TokenLimitError{Limit: 8, Tokens: 9}, causeTokenLimit,
			wantReply{400, api.ErrTypeInvalidRequest, "context_length_exceeded", "prompt", ""}, wantReply{status: 422, errType: "validation"}, wantReply{status: 413, errType: "Validation"}},
		{"over max_output_tokens", &serving.TokenLimitError{Output: true, Param: "max_new_tokens", Limit: 5, Tokens: 6}, causeTokenLimit,
			wantReply{400, api.ErrTypeInvalidRequest, "invalid_value", "max_new_tokens", ""}, wantReply{status: 422, errType: "validation"}, wantReply{status: 413, errType: "Validation"}},
		{"body read timed out", &RequestError{Status: http.StatusRequestTimeout, Message: "slow", Err: os.ErrDeadlineExceeded}, causeBodyTimeout,
			wantReply{408, api.ErrTypeInvalidRequest, "request_timeout", "", ""}, wantReply{status: 408, errType: "validation"}, wantReply{status: 408, errType: "Validation"}},
		{"anything else", errors.New("boom"), causeInternal,
			wantReply{500, api.ErrTypeServer, "", "", ""}, wantReply{status: 424, errType: "generation"}, wantReply{status: 424, errType: "Backend"}},
		{"decoder bug", &RequestError{Status: 500, Message: "internal", Err: errors.New("x")}, causeInternal,
			wantReply{500, api.ErrTypeServer, "", "", ""}, wantReply{status: 424, errType: "generation"}, wantReply{status: 424, errType: "Backend"}},
	}
	covered := map[errCause]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classifyError(tt.err); got != tt.cause {
				t.Fatalf("cause = %d, want %d", got, tt.cause)
			}
			covered[tt.cause] = true
			check := func(api string, got errorReply, want wantReply, withCode bool) {
				t.Helper()
				if got.Status != want.status || got.Type != want.errType || got.RetryAfter != want.retryAfter {
					t.Errorf("%s: {%d %q retry %q}, want {%d %q retry %q}", api, got.Status, got.Type, got.RetryAfter, want.status, want.errType, want.retryAfter)
				}
				if withCode && (got.Code != want.code || got.Param != want.param) {
					t.Errorf("%s: code %q param %q, want %q %q", api, got.Code, got.Param, want.code, want.param)
				}
				if got.Message == "" {
					t.Errorf("%s: empty message", api)
				}
			}
			check("OpenAI", openAIReply(tt.err, completionPrompt), tt.openAI, true)
			check("TGI", tgiReply(tt.err), tt.tgi, false)
			check("TEI", teiReply(tt.err), tt.tei, false)
		})
	}
	for c := errCause(0); c < numCauses; c++ {
		if !covered[c] {
			t.Errorf("cause %d has no test case", c)
		}
	}
}

// TestContextLengthMessages checks that the numbers reach the client, in
// each API's wording.
func TestContextLengthMessages(t *testing.T) {
	ce := &generate.ContextLengthError{MaxPositions: 512, PromptTokens: 600, MaxTokens: 16}
	if got, want := openAIReply(ce, chatPrompt).Message, "This model's maximum context length is 512 tokens. However, you requested 616 tokens (600 in the messages, 16 in the completion). Please reduce the length of the messages or completion."; got != want {
		t.Errorf("OpenAI chat: %q\nwant %q", got, want)
	}
	if got := openAIReply(ce, completionPrompt); got.Param != "prompt" || !strings.Contains(got.Message, "600 in the prompt") {
		t.Errorf("OpenAI completions: param %q message %q", got.Param, got.Message)
	}
	noRoom := &generate.ContextLengthError{MaxPositions: 512, PromptTokens: 512}
	if got := openAIReply(noRoom, chatPrompt).Message; !strings.Contains(got, "512 tokens") || !strings.Contains(got, "resulted in 512 tokens") {
		t.Errorf("OpenAI without max_tokens: %q", got)
	}
	if got, want := tgiReply(ce).Message, "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 512. Given: 600 `inputs` tokens and 16 `max_new_tokens`"; got != want {
		t.Errorf("TGI: %q\nwant %q", got, want)
	}
	if got := teiReply(ce).Message; !strings.Contains(got, "512") || !strings.Contains(got, "600") {
		t.Errorf("TEI: %q", got)
	}
}

// TestErrorWriters checks the bodies and headers the writers produce.
func TestErrorWriters(t *testing.T) {
	rep := errorReply{Status: 429, Type: api.TEIErrorOverloaded, Message: "busy", RetryAfter: "5"}
	rec := httptest.NewRecorder()
	writeHFReply(rec, httptest.NewRequest(http.MethodPost, "/embed", nil), rep)
	if got := checkHFError(t, rec, 429, api.TEIErrorOverloaded); got.Error != "busy" {
		t.Errorf("message %q", got.Error)
	}
	if ra := rec.Header().Get("Retry-After"); ra != "5" {
		t.Errorf("Retry-After %q", ra)
	}
	rec = httptest.NewRecorder()
	writeOpenAIReply(rec, httptest.NewRequest(http.MethodPost, "/v1/embeddings", nil), openAIReply(serving.ErrClosed, embeddingPrompt))
	checkError(t, rec, 503, api.ErrTypeServiceUnavailable, "shutting_down", "")
	if ra := rec.Header().Get("Retry-After"); ra != "1" {
		t.Errorf("Retry-After %q", ra)
	}
}
