package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"strings"
)

// RequestError is an error DecodeJSON reports: the status it answered
// with, and the request field at fault when one is.
type RequestError struct {
	Status  int    // HTTP status written: 400, 408, 413 or 500
	Param   string // the JSON field at fault, or ""
	Message string // what the client was told
	Err     error  // the underlying decoding or read error
}

// Error returns the message the client was told.
func (e *RequestError) Error() string { return "server: decode request: " + e.Message }

// Unwrap returns the underlying error.
func (e *RequestError) Unwrap() error { return e.Err }

// DecodeJSON reads the request body as exactly one JSON value into v (a
// pointer). Fields v does not declare, trailing data after the value, an
// empty body and malformed JSON are 400 invalid_request_error with a
// message naming the problem (and param naming the field when there is
// one); a body over the server's size limit is 413, and one still
// arriving when the read timeout passes 408. On error DecodeJSON
// has already written the response and returns a *RequestError; the
// handler should just return.
func DecodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if re := decodeRequest(r, v); re != nil {
		WriteError(w, r, re.Status, "", codeFor(re.Status), re.Param, re.Message)
		return re
	}
	return nil
}

// decodeRequest is DecodeJSON without the answer, for routes that answer
// errors in another API's shape.
func decodeRequest(r *http.Request, v any) *RequestError {
	err := decodeJSON(r.Body, v)
	if err == nil {
		return nil
	}
	var re *RequestError
	if !errors.As(err, &re) {
		re = &RequestError{Status: http.StatusBadRequest, Message: err.Error(), Err: err}
	}
	return re
}

func codeFor(status int) string {
	switch status {
	case http.StatusRequestEntityTooLarge:
		return "request_too_large"
	case http.StatusRequestTimeout:
		return "request_timeout"
	}
	return ""
}

func decodeJSON(body io.Reader, v any) error {
	if body == nil {
		return badRequest("", "request body is empty: expected a JSON object", io.EOF)
	}
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return classify(err)
	}
	// A second value or garbage after the first is a client bug that
	// silently ignoring would hide.
	end := dec.InputOffset()
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) || isReadTimeout(err) {
			return classify(err)
		}
		return badRequest("", fmt.Sprintf("unexpected data after the JSON value, which ends at byte offset %d", end), err)
	}
	return nil
}

// classify turns a decoding error into the RequestError the client sees.
func classify(err error) error {
	var (
		tooBig *http.MaxBytesError
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
		inval  *json.InvalidUnmarshalError
	)
	switch {
	case errors.As(err, &tooBig):
		return &RequestError{Status: http.StatusRequestEntityTooLarge, Err: err,
			Message: fmt.Sprintf("request body is larger than the server's limit of %d bytes", tooBig.Limit)}
	case isReadTimeout(err):
		// The connection's read deadline (read_timeout) passed while the
		// body was still arriving; net/http closes the connection after
		// this answer.
		return &RequestError{Status: http.StatusRequestTimeout, Err: err,
			Message: "the request body did not arrive within the server's read timeout"}
	case errors.Is(err, io.EOF):
		// Decode reports a bare io.EOF only when no value began: the body
		// is empty or all whitespace.
		return badRequest("", "request body is empty: expected a JSON object", err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("", "malformed JSON: the body ends before the JSON value does", err)
	case errors.As(err, &syntax):
		// Offset counts the bytes read, the offending one included; the
		// message names that byte's own (0-based) offset.
		return badRequest("", fmt.Sprintf("malformed JSON at byte offset %d: %s", max(syntax.Offset-1, 0), strings.TrimPrefix(syntax.Error(), "json: ")), err)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return badRequest("", fmt.Sprintf("the request body must be %s, not a JSON %s", jsonKind(typ.Type), typ.Value), err)
		}
		return badRequest(field, fmt.Sprintf("invalid type for %q: expected %s, got a JSON %s", field, jsonKind(typ.Type), typ.Value), err)
	case errors.As(err, &inval):
		// The handler passed a non-pointer: our bug, not the client's.
		return &RequestError{Status: http.StatusInternalServerError, Err: err,
			Message: "internal error: the request could not be decoded"}
	}
	if field, ok := unknownField(err); ok {
		return badRequest(field, fmt.Sprintf("unknown field %q", field), err)
	}
	// Errors from UnmarshalJSON methods of request types: their message is
	// written for the client.
	return badRequest("", strings.TrimPrefix(err.Error(), "json: "), err)
}

// isReadTimeout reports a body read cut by the connection's read deadline.
func isReadTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func badRequest(param, msg string, err error) *RequestError {
	return &RequestError{Status: http.StatusBadRequest, Param: param, Message: msg, Err: err}
}

// unknownField extracts the field name from encoding/json's unknown-field
// error, which has no type of its own: `json: unknown field "name"`.
func unknownField(err error) (string, bool) {
	const prefix = `json: unknown field "`
	msg := err.Error()
	if !strings.HasPrefix(msg, prefix) || !strings.HasSuffix(msg, `"`) {
		return "", false
	}
	return msg[len(prefix) : len(msg)-1], true
}

// expectedJSON is implemented by the api package's union types.
type expectedJSON interface{ ExpectedJSON() string }

var expectedJSONType = reflect.TypeFor[expectedJSON]()

// jsonKind names the JSON value a Go type decodes from, for messages
// addressed to people who write JSON, not Go.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "a JSON value"
	}
	// Union types (a string or an array, say) name the shapes they take.
	if t.Implements(expectedJSONType) {
		return reflect.Zero(t).Interface().(expectedJSON).ExpectedJSON()
	}
	switch t.Kind() {
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "a JSON value"
}
