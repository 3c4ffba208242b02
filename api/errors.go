package api

// Error types used in ErrorBody.Type. They are the values the OpenAI API
// sends (https://platform.openai.com/docs/guides/error-codes), so client
// libraries that branch on them behave as they do against OpenAI.
const (
	// ErrTypeInvalidRequest marks a request the client must change: bad
	// JSON or fields (400), unknown route or model (404), wrong method
	// (405), body too large (413), prompt over the context length (422).
	ErrTypeInvalidRequest = "invalid_request_error"
	// ErrTypeAuthentication marks a missing or invalid API key (401).
	ErrTypeAuthentication = "authentication_error"
	// ErrTypePermission marks a key without the scope for the request (403).
	ErrTypePermission = "permission_error"
	// ErrTypeRateLimit marks a key over its rate limit (429).
	ErrTypeRateLimit = "rate_limit_error"
	// ErrTypeServer marks a failure on our side (500).
	ErrTypeServer = "server_error"
	// ErrTypeServiceUnavailable marks a server that cannot take the request
	// now: not ready, shutting down, a model's circuit open (503).
	ErrTypeServiceUnavailable = "service_unavailable"
	// ErrTypeOverloaded marks full queues or an exhausted memory budget
	// (503); retrying later may succeed.
	ErrTypeOverloaded = "overloaded"
)

// ErrorResponse is the body of every error hfserve returns, in the shape of
// the OpenAI API reference: {"error":{"message":…,"type":…,"param":…,"code":…}}.
type ErrorResponse struct {
	// Error describes what went wrong.
	Error ErrorBody `json:"error"`
}

// ErrorBody is the "error" object of an ErrorResponse.
type ErrorBody struct {
	// Message is a human-readable explanation, meant for the developer.
	Message string `json:"message"`
	// Type is one of the ErrType* constants.
	Type string `json:"type"`
	// Param names the request field at fault, or is nil (JSON null) when no
	// single field is, as OpenAI sends it.
	Param *string `json:"param"`
	// Code is a machine-readable code such as "model_not_found", or nil
	// (JSON null) when there is none.
	Code *string `json:"code"`
}

// NewErrorResponse builds an ErrorResponse; an empty param or code becomes
// JSON null, as OpenAI sends absent values.
func NewErrorResponse(errType, code, param, message string) ErrorResponse {
	return ErrorResponse{Error: ErrorBody{
		Message: message,
		Type:    errType,
		Param:   nonEmpty(param),
		Code:    nonEmpty(code),
	}}
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
