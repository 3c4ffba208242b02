package server

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"hfserve/api"
	"hfserve/internal/telemetry"
)

// Catalog lists the models the server can serve. The serving layer
// implements it; the server only reads it.
type Catalog interface {
	// Models returns the configured models. The server does not modify
	// the returned slice.
	Models(ctx context.Context) []api.Model
}

// Defaults applied by New to zero fields of Options.
const (
	DefaultMaxRequestBodyBytes = 32 << 20 // room for large batched embedding requests
	DefaultReadHeaderTimeout   = 10 * time.Second
	DefaultReadTimeout         = 60 * time.Second
	DefaultIdleTimeout         = 120 * time.Second
	DefaultShutdownTimeout     = 20 * time.Second // under Kubernetes' default 30 s grace period
)

// Options configures a Server. A zero field takes its default (the
// Default* constants; WriteTimeout and RequestTimeout default to none,
// because streamed generations legitimately run for minutes); a negative
// field disables that limit.
type Options struct {
	// Logger receives access logs and errors; nil discards them. Its
	// handler is wrapped with telemetry.NewHandler so that lines carry the
	// request id.
	Logger *slog.Logger
	// Catalog answers GET /v1/models; nil serves an empty list.
	Catalog Catalog
	// MaxRequestBodyBytes caps request bodies; larger ones get 413.
	MaxRequestBodyBytes int64
	// ReadHeaderTimeout, ReadTimeout, WriteTimeout and IdleTimeout are
	// those of http.Server.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// RequestTimeout bounds each request's context.
	RequestTimeout time.Duration
	// ShutdownTimeout bounds how long Serve waits for in-flight requests
	// after its context is cancelled before cutting them; negative waits
	// for as long as they take.
	ShutdownTimeout time.Duration
	// Metrics, when not nil, receives every request's metrics and is
	// served on GET /metrics; HandleInference adds the serving layer's
	// state to it. nil serves no /metrics.
	Metrics *telemetry.Metrics
	// Tracing, when not nil and enabled, traces every request: a server
	// span continuing the client's W3C traceparent (and answered with the
	// server span's own traceparent), a cache lookup span, and the serving
	// layer's spans below.
	Tracing *telemetry.Tracing
	// LogPrompts adds each request's prompt text to its access log line
	// (log_prompts). Off, no prompt text is ever logged.
	LogPrompts bool
	// Version is reported in the Server response header
	// ("hfserve/<Version>"); it must be printable ASCII.
	Version string
	// TLS, when not nil, makes Serve answer HTTPS only (see
	// LoadTLSConfig); responses then carry Strict-Transport-Security.
	TLS *tls.Config
	// CORSAllowedOrigins are the origins browsers may call the API from:
	// scheme://host[:port], or "*" for any. Empty turns CORS off: no
	// Access-Control-* header is ever sent. See cors.go.
	CORSAllowedOrigins []string
	// Auth, when not nil, requires API keys: see AuthOptions and
	// withAuth. nil leaves every route open.
	Auth *AuthOptions
}

// Server is hfserve's HTTP server. Build it with New; it is safe for
// concurrent use.
type Server struct {
	opts     Options
	log      *slog.Logger
	mux      *http.ServeMux
	handler  http.Handler // mux wrapped in the middleware chain
	cors     *corsPolicy  // nil: CORS off
	tracer   trace.Tracer // a no-op tracer without tracing
	ready    atomic.Bool
	draining atomic.Bool
	serving  atomic.Bool
}

// New builds a Server with its built-in routes (/health, /ready,
// /v1/models, /v1/models/{id}) registered.
func New(opts Options) (*Server, error) {
	opts = withDefaults(opts)
	if err := validate(opts); err != nil {
		return nil, err
	}
	cors, err := newCORSPolicy(opts.CORSAllowedOrigins)
	if err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = slog.New(telemetry.NewHandler(log.Handler()))
	s := &Server{opts: opts, log: log, mux: http.NewServeMux(), cors: cors, tracer: noop.NewTracerProvider().Tracer("")}
	if t := opts.Tracing; t != nil && t.Enabled() {
		s.tracer = t.Provider().Tracer(telemetry.TracerName)
	}
	s.handler = s.middleware(&router{mux: s.mux})
	s.routes()
	return s, nil
}

func withDefaults(o Options) Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	if o.MaxRequestBodyBytes == 0 {
		o.MaxRequestBodyBytes = DefaultMaxRequestBodyBytes
	}
	def(&o.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	def(&o.ReadTimeout, DefaultReadTimeout)
	def(&o.IdleTimeout, DefaultIdleTimeout)
	def(&o.ShutdownTimeout, DefaultShutdownTimeout)
	return o
}

// validate rejects option values the server cannot honour.
func validate(o Options) error {
	// Version goes into a response header, where a control character
	// would corrupt the response or split it.
	for i := 0; i < len(o.Version); i++ {
		if c := o.Version[i]; c < 0x20 || c > 0x7e {
			return fmt.Errorf("server: Version %q: only printable ASCII may go into the Server header", o.Version)
		}
	}
	return nil
}

// limit turns the "negative disables" convention into net/http's "zero
// disables".
func limit(d time.Duration) time.Duration {
	return max(d, 0)
}

// Handler returns the server's full handler (middleware and routes), for
// tests with httptest and for embedding in another server.
func (s *Server) Handler() http.Handler { return s.handler }

// Handle registers h for pattern (a Go 1.22 ServeMux pattern such as
// "POST /v1/chat/completions"); h runs inside the middleware chain. Like
// http.ServeMux.Handle it panics on an invalid or conflicting pattern:
// patterns are fixed in code, so that is a programming error.
func (s *Server) Handle(pattern string, h http.Handler) {
	s.mux.Handle(pattern, h)
}

// SetReady marks the server ready (or not) to serve: GET /ready answers
// 200 only while ready and not shutting down.
func (s *Server) SetReady(ready bool) { s.ready.Store(ready) }
