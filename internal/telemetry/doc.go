// Package telemetry gives hfserve its request ids, structured logs,
// metrics and traces.
//
// A request id travels in the context.Context (WithRequestID, RequestID).
// Loggers built by NewLogger, or any slog.Handler wrapped by NewHandler, add
// it as a top-level "request_id" attribute to every record logged with a
// context that carries one, so code deep in the call chain only has to log
// with its ctx (logger.InfoContext(ctx, …)) for its lines to be traceable to
// the request.
//
// A Request (WithRequest, RequestFrom) is the record of one HTTP request
// that the layers fill as it passes: the server its route and cache
// outcome, the serving layer its model and token counts, the schedulers
// its queue wait and token times. Its methods do nothing on a nil
// *Request, so code below the server records without checking.
//
// Metrics is the Prometheus registry: request-path metrics observed once
// per request from the Request (RequestDone) and per batched forward pass
// (ObserveBatch), the Go and process collectors, and a StateCollector that
// reads a State snapshot at scrape time. Every name starts with hfserve_,
// and label values come only from the catalog, route patterns and fixed
// sets, never from client input. docs/OBSERVABILITY.md lists the metrics.
//
// Tracing builds an OpenTelemetry tracer provider exporting over OTLP
// (HTTP or gRPC) with parent-based ratio sampling, or a no-op one; the
// attribute keys the layers set are the Attr* constants.
//
// The package holds no mutable state; everything hangs off the values it
// returns (no OpenTelemetry global is set).
package telemetry
