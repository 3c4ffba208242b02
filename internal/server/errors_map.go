package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"hfserve/api"
	"hfserve/internal/generate"
	"hfserve/internal/serving"
)

// errorReply is how an API answers an error: one value per API shape,
// built by openAIReply, tgiReply or teiReply from the errors the handlers
// and the serving layer return, and written by writeReply.
type errorReply struct {
	Status int
	// Type is the OpenAI error type, or TGI's / TEI's error_type.
	Type string
	// Code and Param are OpenAI's; "" is JSON null.
	Code, Param string
	Message     string
	// RetryAfter is the Retry-After header's value; "" sends none.
	RetryAfter string
}

// unknownModelError is a request naming a model the catalog does not
// list (or naming none when there is no default model).
type unknownModelError struct{ name string }

func (e *unknownModelError) Error() string {
	if e.name == "" {
		return "no model was named and this server has no default model"
	}
	// OpenAI's own wording.
	return fmt.Sprintf("The model '%s' does not exist", e.name)
}

func (e *unknownModelError) Unwrap() error { return serving.ErrUnknownModel }

// emptyInputError is a request with nothing to work on. TEI has an error
// type (and status) of its own for it; the others treat it as any bad
// field.
type emptyInputError struct{ param, msg string }

func (e *emptyInputError) Error() string { return e.msg }

// inputError builds the error handlers return for a bad request field: the
// serving layer's own type, so every mapping treats the handler's checks
// and the service's alike.
func inputError(param, format string, args ...any) error {
	return &serving.InputError{Param: param, Msg: fmt.Sprintf(format, args...)}
}

// promptContext says what an OpenAI route calls its prompt, for the
// context-length message and param.
type promptContext struct {
	param string // "messages", "prompt" or "input"
	noun  string // "messages" or "prompt"
}

var (
	chatPrompt       = promptContext{param: "messages", noun: "messages"}
	completionPrompt = promptContext{param: "prompt", noun: "prompt"}
	embeddingPrompt  = promptContext{param: "input", noun: "input"}
)

// errCause classifies an error from a handler, the request decoder or the
// serving layer; the three API mappings translate the classes.
type errCause int

const (
	causeInternal     errCause = iota // our bug or an unclassified failure
	causeSyntax                       // the body is not JSON, or empty
	causeDecode                       // JSON of the wrong shape or with unknown fields
	causeTooLarge                     // the body is over the size limit
	causeUnknownModel                 // no such model
	causeTask                         // the model cannot do this
	causeInput                        // a field's value is wrong
	causeEmpty                        // nothing to work on
	causeContext                      // the prompt does not fit the context
	causeCapacity                     // no room to load the model now
	causeLoadTimeout                  // the load took too long
	causeClosed                       // shutting down
	causeLoadFailed                   // the model is broken
	causeModelFailed                  // the model produced garbage
	causeTimeout                      // the request's deadline passed or it was cancelled
	causeBreakerOpen                  // the model keeps failing: its circuit breaker is open
	causeLoadBackoff                  // the model's last loads failed and the next is not due
	causeTokenLimit                   // over the operator's max_input_tokens or max_output_tokens
	causeBodyTimeout                  // the body did not arrive within the read timeout
	causeForbidden                    // the API key may not use this model

	numCauses // the number of causes, for exhaustive tests
)

// classify sorts err into an errCause.
func classifyError(err error) errCause {
	var (
		re      *RequestError
		capErr  *serving.CapacityError
		loadErr *serving.LoadError
		taskErr *serving.TaskError
		inErr   *serving.InputError
		pErr    *generate.ParamError
		ctxErr  *generate.ContextLengthError
		limErr  *serving.TokenLimitError
		empty   *emptyInputError
		denied  *modelForbiddenError
	)
	switch {
	case errors.As(err, &denied):
		return causeForbidden
	case errors.As(err, &re):
		switch {
		case re.Status == http.StatusRequestEntityTooLarge:
			return causeTooLarge
		case re.Status == http.StatusRequestTimeout:
			return causeBodyTimeout
		case re.Status >= 500:
			return causeInternal
		case isSyntaxError(re.Err):
			return causeSyntax
		}
		return causeDecode
	case errors.As(err, &empty):
		return causeEmpty
	case errors.Is(err, serving.ErrUnknownModel):
		return causeUnknownModel
	case errors.As(err, &taskErr):
		return causeTask
	case errors.As(err, &ctxErr):
		return causeContext
	case errors.As(err, &limErr):
		return causeTokenLimit
	case errors.As(err, &inErr), errors.As(err, &pErr), errors.Is(err, generate.ErrNoCandidates):
		return causeInput
	// Before the load causes: a backoff wraps the last load's error.
	case errors.Is(err, serving.ErrBreakerOpen):
		return causeBreakerOpen
	case errors.Is(err, serving.ErrLoadBackoff):
		return causeLoadBackoff
	case errors.As(err, &capErr):
		return causeCapacity
	case errors.Is(err, serving.ErrLoadTimeout):
		return causeLoadTimeout
	case errors.Is(err, serving.ErrClosed):
		return causeClosed
	case errors.As(err, &loadErr):
		return causeLoadFailed
	case errors.Is(err, generate.ErrBadLogits), errors.Is(err, serving.ErrPanic):
		return causeModelFailed
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return causeTimeout
	}
	return causeInternal
}

// isSyntaxError reports a body that is not JSON at all (or is empty), as
// opposed to JSON of the wrong shape.
func isSyntaxError(err error) bool {
	var syn *json.SyntaxError
	return errors.As(err, &syn) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// retryAfter is the Retry-After value for the causes that a later retry
// may cure; "" for the others.
func retryAfter(err error, cause errCause) string {
	switch cause {
	case causeCapacity:
		var capErr *serving.CapacityError
		if errors.As(err, &capErr) {
			if d := capErr.RetryAfter(); d > 0 {
				return retryAfterSeconds(d)
			}
		}
	case causeLoadTimeout, causeClosed:
		// A load timeout is retried by the next request at once; a closing
		// server is replaced by another replica soon.
		return "1"
	case causeBreakerOpen:
		var be *serving.BreakerOpenError
		if errors.As(err, &be) {
			return retryAfterSeconds(be.RetryAfter)
		}
	case causeLoadBackoff:
		var lb *serving.LoadBackoffError
		if errors.As(err, &lb) {
			return retryAfterSeconds(lb.RetryAfter)
		}
	}
	return ""
}

// errorParam is the request field an error names, if any.
func errorParam(err error) string {
	var (
		re    *RequestError
		inErr *serving.InputError
		pErr  *generate.ParamError
		empty *emptyInputError
		lim   *serving.TokenLimitError
	)
	switch {
	case errors.As(err, &re):
		return re.Param
	case errors.As(err, &lim):
		return lim.Param
	case errors.As(err, &empty):
		return empty.param
	case errors.As(err, &inErr):
		return inErr.Param
	case errors.As(err, &pErr):
		return pErr.Param
	case errors.Is(err, generate.ErrNoCandidates):
		return "logit_bias"
	}
	return ""
}

// errorMessage is what the client is told.
func errorMessage(err error) string {
	var (
		re   *RequestError
		pErr *generate.ParamError
	)
	switch {
	case errors.As(err, &re):
		return re.Message
	case errors.As(err, &pErr):
		return pErr.Param + ": " + pErr.Msg
	}
	return strings.TrimPrefix(err.Error(), "generate: ")
}

// openAIReply maps an error onto the OpenAI error shape:
//
//	malformed or mistyped body, bad field     400 invalid_request_error (param: the field)
//	body too large                            413 invalid_request_error request_too_large
//	unknown model                             404 invalid_request_error model_not_found (param: model)
//	model the API key may not use             403 permission_error model_not_allowed (param: model)
//	model cannot do this                      400 invalid_request_error model_not_supported (param: model)
//	prompt over the context length            422 invalid_request_error context_length_exceeded
//	prompt (or an input) over max_input_tokens 400 invalid_request_error context_length_exceeded
//	max_tokens over max_output_tokens         400 invalid_request_error invalid_value (param: the field)
//	body not received within read_timeout    408 invalid_request_error request_timeout
//	no capacity to load the model             503 overloaded model_capacity_exceeded + Retry-After
//	model load timed out                      503 service_unavailable model_load_timeout + Retry-After
//	server shutting down                      503 service_unavailable shutting_down + Retry-After
//	model failed to load                      500 server_error model_load_failed
//	model failed to load, next try not due    503 service_unavailable model_load_backoff + Retry-After
//	model keeps failing (breaker open)        503 service_unavailable circuit_open + Retry-After
//	model produced bad output or panicked     500 server_error model_error
//	request deadline passed or cancelled      503 service_unavailable timeout
//	anything else                             500 server_error
func openAIReply(err error, pc promptContext) errorReply {
	cause := classifyError(err)
	rep := errorReply{Message: errorMessage(err), Param: errorParam(err), RetryAfter: retryAfter(err, cause)}
	switch cause {
	case causeSyntax, causeDecode, causeInput, causeEmpty:
		rep.Status = http.StatusBadRequest
	case causeTooLarge:
		rep.Status, rep.Code = http.StatusRequestEntityTooLarge, "request_too_large"
	case causeUnknownModel:
		rep.Status, rep.Code, rep.Param = http.StatusNotFound, "model_not_found", "model"
	case causeForbidden:
		rep.Status, rep.Code, rep.Param = http.StatusForbidden, "model_not_allowed", "model"
	case causeTask:
		rep.Status, rep.Code, rep.Param = http.StatusBadRequest, "model_not_supported", "model"
	case causeContext:
		var ce *generate.ContextLengthError
		errors.As(err, &ce)
		rep.Status, rep.Code, rep.Param = http.StatusUnprocessableEntity, "context_length_exceeded", pc.param
		if p := indexedParam(err, pc.param); p != "" {
			rep.Param = p
		}
		rep.Message = contextLengthMessage(ce, pc, rep.Param)
	case causeTokenLimit:
		var le *serving.TokenLimitError
		errors.As(err, &le)
		rep.Status = http.StatusBadRequest
		if le.Output {
			// OpenAI's code for a max_tokens over a model's output limit.
			rep.Code = "invalid_value"
			if rep.Param == "" {
				rep.Param = "max_tokens"
			}
		} else {
			// The code clients already react to by shortening the prompt.
			rep.Code, rep.Param = "context_length_exceeded", pc.param
			if p := indexedParam(err, pc.param); p != "" {
				rep.Param = p
			}
		}
		rep.Message = tokenLimitMessage(le, pc, rep.Param)
	case causeBodyTimeout:
		rep.Status, rep.Code = http.StatusRequestTimeout, "request_timeout"
	case causeCapacity:
		rep.Status, rep.Type, rep.Code = http.StatusServiceUnavailable, api.ErrTypeOverloaded, "model_capacity_exceeded"
	case causeLoadTimeout:
		rep.Status, rep.Code = http.StatusServiceUnavailable, "model_load_timeout"
	case causeClosed:
		rep.Status, rep.Code = http.StatusServiceUnavailable, "shutting_down"
	case causeLoadFailed:
		rep.Status, rep.Code = http.StatusInternalServerError, "model_load_failed"
	case causeModelFailed:
		rep.Status, rep.Code = http.StatusInternalServerError, "model_error"
	case causeTimeout:
		rep.Status, rep.Code = http.StatusServiceUnavailable, "timeout"
	case causeBreakerOpen:
		rep.Status, rep.Code = http.StatusServiceUnavailable, "circuit_open"
	case causeLoadBackoff:
		rep.Status, rep.Code = http.StatusServiceUnavailable, "model_load_backoff"
	default:
		rep.Status = http.StatusInternalServerError
	}
	if rep.Type == "" {
		rep.Type = ErrorType(rep.Status)
	}
	return rep
}

// indexedParam finds which of several inputs an error is about: the
// service prefixes the message with it ("input[3]: ...").
func indexedParam(err error, param string) string {
	msg := err.Error()
	if !strings.HasPrefix(msg, param+"[") {
		return ""
	}
	end := strings.Index(msg, "]")
	return msg[:end+1]
}

// contextLengthMessage words a context-length error as OpenAI does.
// param names the input at fault when one of several is.
func contextLengthMessage(ce *generate.ContextLengthError, pc promptContext, param string) string {
	if pc == embeddingPrompt {
		return fmt.Sprintf("This model's maximum context length is %d tokens. However, %s has %d tokens. Please reduce the length of the input.",
			ce.MaxPositions, param, ce.PromptTokens)
	}
	if ce.MaxTokens <= 0 {
		return fmt.Sprintf("This model's maximum context length is %d tokens. However, your %s resulted in %d tokens, leaving no room for a completion. Please reduce the length of the %s.",
			ce.MaxPositions, pc.noun, ce.PromptTokens, pc.noun)
	}
	return fmt.Sprintf("This model's maximum context length is %d tokens. However, you requested %d tokens (%d in the %s, %d in the completion). Please reduce the length of the %s or completion.",
		ce.MaxPositions, ce.PromptTokens+ce.MaxTokens, ce.PromptTokens, pc.noun, ce.MaxTokens, pc.noun)
}

// tgiReply maps an error onto TGI's shape {"error","error_type"} with
// TGI's statuses:
//
//	malformed body (not JSON)                 400 validation
//	mistyped body, bad field, model cannot
//	do this, prompt over the context length,
//	over max_input_tokens / max_output_tokens 422 validation
//	body too large                            413 validation
//	body not received within read_timeout     408 validation
//	unknown model                             404 validation
//	model the API key may not use             403 validation
//	no capacity / load timed out              429 overloaded + Retry-After
//	server shutting down, request timed out   503 unhealthy (+ Retry-After when shutting down)
//	breaker open, load backing off            503 unhealthy + Retry-After
//	model failed to load or produced garbage,
//	anything else                             424 generation
func tgiReply(err error) errorReply {
	cause := classifyError(err)
	rep := errorReply{Message: errorMessage(err), RetryAfter: retryAfter(err, cause), Type: api.TGIErrorValidation}
	switch cause {
	case causeSyntax:
		rep.Status = http.StatusBadRequest
	case causeDecode, causeTask:
		rep.Status = http.StatusUnprocessableEntity
	case causeInput, causeEmpty:
		rep.Status, rep.Message = http.StatusUnprocessableEntity, validationPrefix+rep.Message
	case causeContext:
		var ce *generate.ContextLengthError
		errors.As(err, &ce)
		rep.Status, rep.Message = http.StatusUnprocessableEntity, tgiContextMessage(ce)
	case causeTokenLimit:
		var le *serving.TokenLimitError
		errors.As(err, &le)
		rep.Status, rep.Message = http.StatusUnprocessableEntity, hfLimitMessage(le)
	case causeTooLarge:
		rep.Status = http.StatusRequestEntityTooLarge
	case causeBodyTimeout:
		rep.Status = http.StatusRequestTimeout
	case causeUnknownModel:
		rep.Status = http.StatusNotFound
	case causeForbidden:
		rep.Status = http.StatusForbidden
	case causeCapacity, causeLoadTimeout:
		rep.Status, rep.Type = http.StatusTooManyRequests, api.TGIErrorOverloaded
	case causeClosed, causeTimeout, causeBreakerOpen, causeLoadBackoff:
		rep.Status, rep.Type = http.StatusServiceUnavailable, api.TGIErrorUnhealthy
	default:
		rep.Status, rep.Type = http.StatusFailedDependency, api.TGIErrorGeneration
	}
	return rep
}

// teiReply maps an error onto TEI's shape {"error","error_type"} with
// TEI's statuses (TEI answers every validation failure 413):
//
//	malformed body (not JSON)                 400 Validation
//	mistyped body or unknown field            422 Validation
//	bad field, input too long (the context or
//	max_input_tokens), batch too big,
//	body too large                            413 Validation
//	body not received within read_timeout     408 Validation
//	no inputs, or an empty one                400 Empty
//	unknown model                             404 Validation
//	model the API key may not use             403 Validation
//	model cannot do this, failed to load or
//	produced garbage, anything else           424 Backend
//	no capacity / load timed out              429 Overloaded + Retry-After
//	server shutting down, request timed out   503 Unhealthy (+ Retry-After when shutting down)
//	breaker open, load backing off            503 Unhealthy + Retry-After
func teiReply(err error) errorReply {
	cause := classifyError(err)
	rep := errorReply{Message: errorMessage(err), RetryAfter: retryAfter(err, cause), Type: api.TEIErrorValidation}
	switch cause {
	case causeSyntax:
		rep.Status = http.StatusBadRequest
	case causeDecode:
		rep.Status = http.StatusUnprocessableEntity
	case causeTooLarge:
		rep.Status = http.StatusRequestEntityTooLarge
	case causeInput:
		rep.Status, rep.Message = http.StatusRequestEntityTooLarge, validationPrefix+rep.Message
	case causeContext:
		var ce *generate.ContextLengthError
		errors.As(err, &ce)
		rep.Status = http.StatusRequestEntityTooLarge
		rep.Message = fmt.Sprintf("%s`inputs` must have less than %d tokens. Given: %d", validationPrefix, ce.MaxPositions, ce.PromptTokens)
	case causeTokenLimit:
		var le *serving.TokenLimitError
		errors.As(err, &le)
		rep.Status, rep.Message = http.StatusRequestEntityTooLarge, hfLimitMessage(le)
	case causeBodyTimeout:
		rep.Status = http.StatusRequestTimeout
	case causeEmpty:
		rep.Status, rep.Type, rep.Message = http.StatusBadRequest, api.TEIErrorEmpty, validationPrefix+rep.Message
	case causeUnknownModel:
		rep.Status = http.StatusNotFound
	case causeForbidden:
		rep.Status = http.StatusForbidden
	case causeCapacity, causeLoadTimeout:
		rep.Status, rep.Type = http.StatusTooManyRequests, api.TEIErrorOverloaded
	case causeClosed, causeTimeout, causeBreakerOpen, causeLoadBackoff:
		rep.Status, rep.Type = http.StatusServiceUnavailable, api.TEIErrorUnhealthy
	default:
		rep.Status, rep.Type = http.StatusFailedDependency, api.TEIErrorBackend
	}
	return rep
}

// validationPrefix starts TGI's and TEI's validation messages.
const validationPrefix = "Input validation error: "

// tgiContextMessage words a context-length error as TGI does.
func tgiContextMessage(ce *generate.ContextLengthError) string {
	if ce.MaxTokens <= 0 {
		return fmt.Sprintf("%s`inputs` must have less than %d tokens. Given: %d", validationPrefix, ce.MaxPositions, ce.PromptTokens)
	}
	return fmt.Sprintf("%s`inputs` tokens + `max_new_tokens` must be <= %d. Given: %d `inputs` tokens and %d `max_new_tokens`",
		validationPrefix, ce.MaxPositions, ce.PromptTokens, ce.MaxTokens)
}

// writeOpenAIReply answers in the OpenAI error shape.
func writeOpenAIReply(w http.ResponseWriter, r *http.Request, rep errorReply) {
	if rep.RetryAfter != "" {
		w.Header().Set("Retry-After", rep.RetryAfter)
	}
	WriteError(w, r, rep.Status, rep.Type, rep.Code, rep.Param, rep.Message)
}

// writeHFReply answers in TGI's and TEI's shared error shape.
func writeHFReply(w http.ResponseWriter, r *http.Request, rep errorReply) {
	if rep.RetryAfter != "" {
		w.Header().Set("Retry-After", rep.RetryAfter)
	}
	body, err := json.Marshal(api.TGIError{Error: rep.Message, ErrorType: rep.Type})
	if err != nil {
		body = []byte(`{"error":"internal error","error_type":"` + rep.Type + `"}`)
	}
	write(w, r, rep.Status, append(body, '\n'))
}
