package chat

import (
	"errors"
	"fmt"
)

// ErrNoChatTemplate is returned (wrapped, with the folder and what was looked
// for) by FromTokenizerConfig when a model ships no chat template, or none
// under the requested name. Chat requests for such a model need a template
// configured by the operator.
var ErrNoChatTemplate = errors.New("model has no chat template")

// SyntaxError reports a template that does not parse. Line is 1-based.
type SyntaxError struct {
	Line int
	Msg  string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("chat template: syntax error on line %d: %s", e.Line, e.Msg)
}

// RaiseError is what a template's raise_exception(message) produces: the
// template itself rejected the conversation (wrong role order, unsupported
// role, ...). Message is the template's own text, fit to show to the client.
type RaiseError struct {
	Line    int
	Message string
}

func (e *RaiseError) Error() string {
	return fmt.Sprintf("chat template: line %d: %s", e.Line, e.Message)
}

// RenderError is a failure while rendering that the template did not raise on
// purpose: a type error ('a' + 1), an attribute of an undefined value, an
// unknown filter, an operation the sandbox forbids.
type RenderError struct {
	Line int
	Msg  string
}

func (e *RenderError) Error() string {
	return fmt.Sprintf("chat template: line %d: %s", e.Line, e.Msg)
}

// LimitError reports a render stopped by one of its Limits: too much output,
// too many steps, too much memory built, nesting too deep.
type LimitError struct {
	Line  int
	Limit string // which limit: "output", "steps", "alloc" or "depth"
	Max   int
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("chat template: line %d: render exceeded the %s limit (%d)", e.Line, e.Limit, e.Max)
}

// rtError is a runtime error before the line that caused it is known; the
// statement that catches it attaches the line.
type rtError struct{ msg string }

func (e *rtError) Error() string { return e.msg }

func errorf(format string, args ...any) error { return &rtError{fmt.Sprintf(format, args...)} }

// raised is raise_exception's error before its line is known.
type raised struct{ msg string }

func (e *raised) Error() string { return e.msg }

// limitHit is a LimitError before its line is known.
type limitHit struct {
	limit string
	max   int
}

func (e *limitHit) Error() string {
	return fmt.Sprintf("render exceeded the %s limit (%d)", e.limit, e.max)
}

// atLine turns an internal error into its exported form carrying line.
// Errors that already carry a line (from a nested statement) pass unchanged.
func atLine(err error, line int) error {
	var rt *rtError
	var rs *raised
	var lh *limitHit
	switch {
	case errors.As(err, &rs):
		return &RaiseError{Line: line, Message: rs.msg}
	case errors.As(err, &lh):
		return &LimitError{Line: line, Limit: lh.limit, Max: lh.max}
	case errors.As(err, &rt):
		return &RenderError{Line: line, Msg: rt.msg}
	}
	return err
}
