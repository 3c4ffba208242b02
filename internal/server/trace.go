package server

import (
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"hfserve/internal/telemetry"
)

// startServerSpan starts the request's server span, continuing the trace
// of the client's traceparent header, and answers with the span's own
// traceparent so that the client can find the trace. Without tracing it
// returns r and a span that records nothing.
func (s *Server) startServerSpan(w http.ResponseWriter, r *http.Request) (*http.Request, trace.Span) {
	t := s.opts.Tracing
	if t == nil || !t.Enabled() {
		return r, trace.SpanFromContext(r.Context())
	}
	prop := t.Propagator()
	ctx := prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
	ctx, span := s.tracer.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(
		attribute.String("http.request.method", r.Method),
		attribute.String("url.path", r.URL.Path),
		telemetry.AttrRequestID.String(telemetry.RequestID(ctx)),
	))
	prop.Inject(ctx, propagation.HeaderCarrier(w.Header()))
	return r.WithContext(ctx), span
}

// endServerSpan names the span after its route (OpenTelemetry's
// "METHOD route"; the method alone when nothing matched), records what
// the request did, and ends it.
func endServerSpan(span trace.Span, status int, snap telemetry.RequestSnapshot) {
	if !span.IsRecording() {
		return
	}
	if snap.Endpoint != "" {
		span.SetName(snap.Endpoint)
		span.SetAttributes(attribute.String("http.route", snap.Endpoint))
	}
	if status == 0 {
		status = http.StatusOK
	}
	span.SetAttributes(attribute.Int("http.response.status_code", status))
	if snap.Model != "" {
		span.SetAttributes(telemetry.AttrModel.String(snap.Model))
	}
	if snap.Ran || snap.PromptTokens > 0 {
		span.SetAttributes(telemetry.AttrPromptTokens.Int(snap.PromptTokens), telemetry.AttrGeneratedTokens.Int(snap.GeneratedTokens))
	}
	if snap.Cache != "" {
		span.SetAttributes(telemetry.AttrCache.String(snap.Cache))
	}
	if status >= 500 {
		span.SetStatus(codes.Error, http.StatusText(status))
	}
	span.End()
}
