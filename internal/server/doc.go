// Package server is hfserve's HTTP front door: routes, middleware, and the
// error shape every response shares.
//
// A Server wraps an http.ServeMux using Go 1.22 route patterns. Every
// request passes, outermost first, through: request id (a sane client
// X-Request-ID is kept, otherwise one is generated; it is echoed in the
// response and carried in the context so every log line has it),
// observation (see observe.go: a telemetry.Request in the context, the
// access-log line, the request metrics, the TGI-style timing headers, and
// with tracing the server span that continues the client's traceparent),
// panic recovery, request body size limit, per-request timeout and, with
// Options.Auth, API keys (auth_middleware.go: every route but /health,
// /ready, /metrics and the dashboard's static files needs a key with the
// route's scope; then the key's rate limits; afterwards its usage is
// counted). With Options.Metrics, GET /metrics serves the Prometheus
// exposition, open to every client like /health unless
// AuthOptions.MetricsRequireKey.
// Unknown routes and wrong methods answer 404 and 405 in the OpenAI error
// shape rather than net/http's plain text, because OpenAI clients parse
// every error body as {"error":{…}}.
//
// Handlers registered with Handle use DecodeJSON to read request bodies and
// WriteJSON / WriteError to answer; WriteError produces the OpenAI error
// shape (api.ErrorResponse) for every error.
//
// HandleInference adds the inference routes over a serving.Service: the
// OpenAI ones (/v1/chat/completions, /v1/completions, /v1/embeddings),
// text-generation-inference's (/generate, /generate_stream, /info) and
// text-embeddings-inference's (/embed, /rerank, /predict, /tokenize,
// /decode). Each API keeps its own error shape: the OpenAI routes answer
// api.ErrorResponse, the TGI and TEI routes {"error","error_type"} with
// their statuses; one mapping per shape (openAIReply, tgiReply, teiReply)
// turns the serving layer's typed errors into them. Streams are
// server-sent events written from the handler's goroutine while the
// generation runs in its own, so a slow client never holds up the engine
// and a client that leaves cancels its generation.
//
// HandleAdminKeys, HandleAdminUsage and HandleAdminUI add the API key and
// usage admin routes and the dashboard (package adminui).
//
// Serve runs until its context is cancelled and then shuts down gracefully:
// it stops accepting, turns /ready to 503, lets in-flight requests finish
// within ShutdownTimeout, and cuts the rest.
//
// The server reaches models only through the Catalog interface and the
// serving layer's Manager and Service; it never touches a model directly.
package server
