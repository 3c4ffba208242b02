package telemetry

import (
	"context"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

func TestNewTracingOptions(t *testing.T) {
	tests := []struct {
		name    string
		opts    TracingOptions
		enabled bool
		wantErr bool
	}{
		{name: "off", opts: TracingOptions{}, enabled: false},
		{name: "http", opts: TracingOptions{Endpoint: "http://127.0.0.1:4318", SamplingRatio: 1}, enabled: true},
		{name: "http with path", opts: TracingOptions{Endpoint: "https://collector.example:4318/custom/traces", Protocol: ProtocolHTTP, SamplingRatio: 1}, enabled: true},
		{name: "grpc", opts: TracingOptions{Endpoint: "http://127.0.0.1:4317", Protocol: ProtocolGRPC, SamplingRatio: 1}, enabled: true},
		{name: "unknown protocol", opts: TracingOptions{Endpoint: "http://127.0.0.1:4318", Protocol: "udp", SamplingRatio: 1}, wantErr: true},
		{name: "not a URL", opts: TracingOptions{Endpoint: "127.0.0.1:4318", SamplingRatio: 1}, wantErr: true},
		{name: "ratio above 1", opts: TracingOptions{Endpoint: "http://127.0.0.1:4318", SamplingRatio: 1.5}, wantErr: true},
		{name: "negative ratio", opts: TracingOptions{Endpoint: "http://127.0.0.1:4318", SamplingRatio: -0.1}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := NewTracing(context.Background(), tt.opts)
			if tt.wantErr {
				if err == nil {
					t.Fatal("want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				// Nothing listens there: give the last export no time.
				ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
				defer cancel()
				_ = tr.Shutdown(ctx)
			}()
			if tr.Enabled() != tt.enabled {
				t.Errorf("Enabled = %v, want %v", tr.Enabled(), tt.enabled)
			}
			_, span := tr.Provider().Tracer(TracerName).Start(context.Background(), "x")
			if span.IsRecording() != tt.enabled {
				t.Errorf("span recording = %v, want %v", span.IsRecording(), tt.enabled)
			}
			span.End()
		})
	}
}

// TestLinkedSampler checks that a root linked to a sampled span is
// sampled even at ratio 0, and that other roots follow the ratio.
func TestLinkedSampler(t *testing.T) {
	s := linkedSampler{root: sdktrace.TraceIDRatioBased(0)}
	sampled := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{1}, TraceFlags: trace.FlagsSampled})
	unsampled := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{2}, SpanID: trace.SpanID{2}})
	tests := []struct {
		name  string
		links []trace.Link
		want  sdktrace.SamplingDecision
	}{
		{"no links", nil, sdktrace.Drop},
		{"unsampled link", []trace.Link{{SpanContext: unsampled}}, sdktrace.Drop},
		{"one sampled link among others", []trace.Link{{SpanContext: unsampled}, {SpanContext: sampled}}, sdktrace.RecordAndSample},
	}
	for _, tt := range tests {
		got := s.ShouldSample(sdktrace.SamplingParameters{ParentContext: context.Background(), TraceID: trace.TraceID{9}, Name: "b", Links: tt.links})
		if got.Decision != tt.want {
			t.Errorf("%s: decision %v, want %v", tt.name, got.Decision, tt.want)
		}
	}
}
