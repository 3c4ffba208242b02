package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"hfserve/api"
)

// WriteError answers with status and the OpenAI error shape
// {"error":{"message","type","param","code"}}. An empty errType is derived
// from status (see ErrorType); an empty code or param is sent as null, as
// OpenAI does. Headers the caller set before (Allow, Retry-After) are kept.
// r may be nil; for a HEAD request only the headers are written.
func WriteError(w http.ResponseWriter, r *http.Request, status int, errType, code, param, message string) {
	if errType == "" {
		errType = ErrorType(status)
	}
	body, err := json.Marshal(api.NewErrorResponse(errType, code, param, message))
	if err != nil {
		// Only strings go in, so this cannot happen; answer anyway.
		body = []byte(`{"error":{"message":"internal error","type":"server_error","param":null,"code":null}}`)
	}
	write(w, r, status, append(body, '\n'))
}

// WriteJSON answers with status and v encoded as JSON. It encodes before
// writing anything, so when v cannot be encoded (a NaN among floats, say)
// the client gets a clean 500 in the OpenAI shape instead of a truncated
// body, and the error comes back to the caller to log.
func WriteJSON(w http.ResponseWriter, r *http.Request, status int, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// Generated text is full of <, > and &; escaping them is only needed
	// for JSON embedded in HTML, which this never is.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		WriteError(w, r, http.StatusInternalServerError, api.ErrTypeServer, "", "", "internal error: the response could not be encoded")
		return fmt.Errorf("server: encode %T response: %w", v, err)
	}
	write(w, r, status, buf.Bytes())
	return nil
}

func write(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", fmt.Sprint(len(body)))
	// Headers a failed handler may have set for the body it meant to send.
	h.Del("Content-Encoding")
	w.WriteHeader(status)
	if r != nil && r.Method == http.MethodHead {
		return
	}
	// A write error means the client went away; there is no one to tell.
	_, _ = w.Write(body)
}

// ErrorType returns the OpenAI error type for an HTTP status: 401
// authentication_error, 403 permission_error, 429 rate_limit_error, 503
// service_unavailable, other 5xx server_error, other 4xx
// invalid_request_error.
func ErrorType(status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return api.ErrTypeAuthentication
	case status == http.StatusForbidden:
		return api.ErrTypePermission
	case status == http.StatusTooManyRequests:
		return api.ErrTypeRateLimit
	case status == http.StatusServiceUnavailable:
		return api.ErrTypeServiceUnavailable
	case status >= 500:
		return api.ErrTypeServer
	default:
		return api.ErrTypeInvalidRequest
	}
}
