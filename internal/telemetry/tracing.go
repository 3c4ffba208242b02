package telemetry

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// OTLP transports accepted by TracingOptions.Protocol.
const (
	ProtocolHTTP = "http"
	ProtocolGRPC = "grpc"
)

// TracerName names hfserve's tracers (the instrumentation scope).
const TracerName = "hfserve"

// TracingOptions configure NewTracing.
type TracingOptions struct {
	// Endpoint is the collector's URL (http://host:4318 for HTTP, whose
	// path defaults to /v1/traces; http://host:4317 for gRPC); https
	// means TLS. Empty disables tracing.
	Endpoint string
	// Protocol is ProtocolHTTP (the default) or ProtocolGRPC.
	Protocol string
	// ServiceName and ServiceVersion describe the process in every trace.
	ServiceName, ServiceVersion string
	// SamplingRatio is the share of new traces sampled, 0 to 1. A request
	// whose traceparent says sampled is always traced (parent-based).
	SamplingRatio float64
	// BatchTimeout bounds how long a finished span waits before export;
	// 0 is the SDK's default (5 s).
	BatchTimeout time.Duration
}

// Tracing is hfserve's tracer provider and the W3C Trace Context
// propagator. With tracing off it is a no-op provider that records
// nothing and costs next to nothing. Shutdown flushes what is pending.
type Tracing struct {
	provider trace.TracerProvider
	sdk      *sdktrace.TracerProvider // nil when off
}

// NewTracing builds the tracer provider opts describe: an OTLP exporter
// behind a batching span processor, parent-based ratio sampling, and a
// resource naming the service. Nothing is set globally: the provider is
// handed to whatever traces.
func NewTracing(ctx context.Context, opts TracingOptions) (*Tracing, error) {
	if opts.Endpoint == "" {
		return &Tracing{provider: noop.NewTracerProvider()}, nil
	}
	if opts.SamplingRatio < 0 || opts.SamplingRatio > 1 {
		return nil, fmt.Errorf("telemetry: sampling ratio %g: want 0 to 1", opts.SamplingRatio)
	}
	exp, err := newExporter(ctx, opts)
	if err != nil {
		return nil, err
	}
	res := resource.NewSchemaless(
		attribute.String("service.name", opts.ServiceName),
		attribute.String("service.version", opts.ServiceVersion),
	)
	var batch []sdktrace.BatchSpanProcessorOption
	if opts.BatchTimeout > 0 {
		batch = append(batch, sdktrace.WithBatchTimeout(opts.BatchTimeout))
	}
	sdk := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp, batch...),
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(linkedSampler{root: sdktrace.TraceIDRatioBased(opts.SamplingRatio)})),
	)
	return &Tracing{provider: sdk, sdk: sdk}, nil
}

// linkedSampler samples a new root span linked to a sampled span (a
// scheduler's batch, linked to the requests it served) and leaves other
// roots to its root sampler: a batch is traced whenever one of its
// requests is, whatever the ratio.
type linkedSampler struct {
	root sdktrace.Sampler
}

// ShouldSample implements sdktrace.Sampler.
func (s linkedSampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	for _, l := range p.Links {
		if l.SpanContext.IsSampled() {
			return sdktrace.SamplingResult{Decision: sdktrace.RecordAndSample,
				Tracestate: trace.SpanContextFromContext(p.ParentContext).TraceState()}
		}
	}
	return s.root.ShouldSample(p)
}

// Description implements sdktrace.Sampler.
func (s linkedSampler) Description() string {
	return "LinkedOr{" + s.root.Description() + "}"
}

// newExporter builds the OTLP exporter for opts.Protocol.
func newExporter(ctx context.Context, opts TracingOptions) (sdktrace.SpanExporter, error) {
	u, err := url.Parse(opts.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("telemetry: OTLP endpoint %q: want http(s)://host:port", opts.Endpoint)
	}
	switch opts.Protocol {
	case "", ProtocolHTTP:
		if u.Path == "" || u.Path == "/" {
			u.Path = "/v1/traces"
		}
		exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(u.String()))
		if err != nil {
			return nil, fmt.Errorf("telemetry: OTLP/HTTP exporter: %w", err)
		}
		return exp, nil
	case ProtocolGRPC:
		exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpointURL(u.String()))
		if err != nil {
			return nil, fmt.Errorf("telemetry: OTLP/gRPC exporter: %w", err)
		}
		return exp, nil
	}
	return nil, fmt.Errorf("telemetry: OTLP protocol %q: want %q or %q", opts.Protocol, ProtocolHTTP, ProtocolGRPC)
}

// Provider is the tracer provider (a no-op one when tracing is off).
func (t *Tracing) Provider() trace.TracerProvider { return t.provider }

// Enabled reports whether spans are exported.
func (t *Tracing) Enabled() bool { return t.sdk != nil }

// Propagator is W3C Trace Context (traceparent, tracestate), the format
// requests bring and responses carry back.
func (t *Tracing) Propagator() propagation.TextMapPropagator { return propagation.TraceContext{} }

// ForceFlush exports every finished span now.
func (t *Tracing) ForceFlush(ctx context.Context) error {
	if t.sdk == nil {
		return nil
	}
	if err := t.sdk.ForceFlush(ctx); err != nil {
		return fmt.Errorf("telemetry: flushing spans: %w", err)
	}
	return nil
}

// Shutdown exports what is pending and stops the exporter.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t.sdk == nil {
		return nil
	}
	if err := t.sdk.Shutdown(ctx); err != nil {
		return fmt.Errorf("telemetry: shutting tracing down: %w", err)
	}
	return nil
}

// Span attribute keys hfserve sets. Names follow OpenTelemetry's
// semantic conventions where one exists (http.*, gen_ai.*), hfserve.*
// otherwise.
const (
	AttrRequestID       = attribute.Key("hfserve.request_id")
	AttrModel           = attribute.Key("gen_ai.request.model")
	AttrPromptTokens    = attribute.Key("gen_ai.usage.input_tokens")
	AttrGeneratedTokens = attribute.Key("gen_ai.usage.output_tokens")
	AttrChoices         = attribute.Key("gen_ai.request.choice.count")
	AttrCache           = attribute.Key("hfserve.cache.result")
	AttrBatchSize       = attribute.Key("hfserve.batch.size")
	AttrBatchTokens     = attribute.Key("hfserve.batch.tokens")
	AttrSchedulerKind   = attribute.Key("hfserve.scheduler.kind")
	AttrQueueSeconds    = attribute.Key("hfserve.queue.seconds")
)
