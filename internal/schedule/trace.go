package schedule

import (
	"context"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"hfserve/internal/telemetry"
)

// tracing makes a scheduler's spans. A request's wait in the queue is a
// child of the request's span. A batched forward pass serves many
// requests, so it cannot be the child of one: it is the root of its own
// trace, linked to the span of every request it served (OpenTelemetry's
// pattern for batches), with the forward pass and the sampling as its
// children. Spans are made only for requests whose trace is sampled, and a
// pass only when one of its requests is. The zero value traces nothing.
type tracing struct {
	tracer trace.Tracer
	attrs  []attribute.KeyValue
}

func newTracing(tracer trace.Tracer, model, kind string) tracing {
	if tracer == nil {
		return tracing{}
	}
	return tracing{tracer: tracer, attrs: []attribute.KeyValue{
		telemetry.AttrModel.String(model), telemetry.AttrSchedulerKind.String(kind),
	}}
}

// queueSpan starts the span of a request's wait in the queue; the
// returned function ends it (once, whoever calls it first).
func (t tracing) queueSpan(ctx context.Context) func() {
	if t.tracer == nil || !trace.SpanContextFromContext(ctx).IsSampled() {
		return func() {}
	}
	attrs := append([]attribute.KeyValue{telemetry.AttrRequestID.String(telemetry.RequestID(ctx))}, t.attrs...)
	_, span := t.tracer.Start(ctx, "hfserve.queue", trace.WithAttributes(attrs...))
	return sync.OnceFunc(func() { span.End() })
}

// batchSpan starts the span of one forward pass over the requests whose
// contexts are ctxs; ok is false (and nothing started) when none of them
// is traced.
func (t tracing) batchSpan(name string, ctxs []context.Context, size, tokens int) (context.Context, trace.Span, bool) {
	if t.tracer == nil {
		return nil, nil, false
	}
	var links []trace.Link
	for _, ctx := range ctxs {
		if sc := trace.SpanContextFromContext(ctx); sc.IsSampled() {
			links = append(links, trace.Link{SpanContext: sc})
		}
	}
	if len(links) == 0 {
		return nil, nil, false
	}
	attrs := append([]attribute.KeyValue{telemetry.AttrBatchSize.Int(size), telemetry.AttrBatchTokens.Int(tokens)}, t.attrs...)
	ctx, span := t.tracer.Start(context.Background(), name, trace.WithNewRoot(), trace.WithLinks(links...), trace.WithAttributes(attrs...))
	return ctx, span, true
}

// child starts a span under a batch span's context; a nil ctx (the batch
// is not traced) starts nothing and returns a function that does nothing.
func (t tracing) child(ctx context.Context, name string) func() {
	if ctx == nil {
		return func() {}
	}
	_, span := t.tracer.Start(ctx, name)
	return func() { span.End() }
}
