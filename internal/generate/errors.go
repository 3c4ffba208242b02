package generate

import (
	"errors"
	"fmt"

	"hfserve/internal/models"
)

// Errors callers may test for with errors.Is.
var (
	// ErrInvalidParams is wrapped by every [*ParamError].
	ErrInvalidParams = errors.New("generate: invalid parameters")
	// ErrNoCandidates is returned when logit bias and penalties leave no
	// token with a finite logit, so nothing can be sampled.
	ErrNoCandidates = errors.New("generate: every token is masked")
	// ErrBadLogits is returned for logits of the wrong length or containing
	// NaN or +Inf: a fault of the model, not of the request.
	ErrBadLogits = errors.New("generate: bad logits")
	// ErrFinished is returned by [Sequence.Next] after the sequence ended.
	ErrFinished = errors.New("generate: sequence already finished")
)

// ParamError is a request parameter out of range. Param is the field's
// name as the OpenAI API spells it ("top_p", "logit_bias", ...), so an HTTP
// layer can report it in a 400.
type ParamError struct {
	Param string
	Msg   string
}

func (e *ParamError) Error() string { return "generate: " + e.Param + ": " + e.Msg }

// Unwrap makes every ParamError match ErrInvalidParams.
func (e *ParamError) Unwrap() error { return ErrInvalidParams }

// paramErr builds a *ParamError with a formatted message.
func paramErr(param, format string, args ...any) error {
	return &ParamError{Param: param, Msg: fmt.Sprintf(format, args...)}
}

// ContextLengthError is a request whose prompt and completion cannot fit in
// the model's context. It matches models.ErrContextLength with errors.Is.
type ContextLengthError struct {
	// MaxPositions is the model's context length in tokens.
	MaxPositions int
	// PromptTokens is the prompt's length.
	PromptTokens int
	// MaxTokens is the completion length asked for (0 when none was, in
	// which case the prompt alone leaves no room for one token).
	MaxTokens int
}

func (e *ContextLengthError) Error() string {
	if e.MaxTokens <= 0 {
		return fmt.Sprintf("generate: this model's maximum context length is %d tokens, but the prompt has %d tokens, leaving no room for a completion",
			e.MaxPositions, e.PromptTokens)
	}
	return fmt.Sprintf("generate: this model's maximum context length is %d tokens, but %d tokens were requested (%d in the prompt, %d for the completion); reduce the prompt or the completion length",
		e.MaxPositions, e.PromptTokens+e.MaxTokens, e.PromptTokens, e.MaxTokens)
}

// Unwrap makes a ContextLengthError match models.ErrContextLength.
func (e *ContextLengthError) Unwrap() error { return models.ErrContextLength }
