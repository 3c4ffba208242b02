// Package telemetry gives hfserve its request ids and structured logs (and,
// later, its metrics and traces).
//
// A request id travels in the context.Context (WithRequestID, RequestID).
// Loggers built by NewLogger, or any slog.Handler wrapped by NewHandler, add
// it as a top-level "request_id" attribute to every record logged with a
// context that carries one, so code deep in the call chain only has to log
// with its ctx (logger.InfoContext(ctx, …)) for its lines to be traceable to
// the request.
//
// The package holds no mutable state; everything hangs off the values it
// returns.
package telemetry
