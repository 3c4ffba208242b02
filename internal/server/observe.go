package server

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"hfserve/internal/telemetry"
)

// Timing headers, in the spirit of text-generation-inference's: times in
// whole milliseconds, counts in tokens. A plain response carries them all
// once its model ran (token counts also on a cache hit, from the cached
// usage). A stream starts before its generation ends, so it carries
// X-Queue-Time and X-Prompt-Tokens as headers (both known when the first
// token is out) and the rest as HTTP trailers, declared in its Trailer
// header and sent after the last event.
const (
	headerQueueTime       = "X-Queue-Time"
	headerInferenceTime   = "X-Inference-Time"
	headerTimePerToken    = "X-Time-Per-Token"
	headerPromptTokens    = "X-Prompt-Tokens"
	headerGeneratedTokens = "X-Generated-Tokens"
)

// withObserve records each request: it puts a telemetry.Request in the
// context for the layers below to fill, adds the timing headers when the
// response starts, and when it ends writes the access log line and the
// request metrics. The query string is left out of the log because
// clients sometimes put keys in it; the prompt is logged only with
// Options.LogPrompts.
func (s *Server) withObserve(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := telemetry.NewRequest(start, s.opts.LogPrompts)
		r = r.WithContext(telemetry.WithRequest(r.Context(), rec))
		if s.opts.Metrics != nil {
			s.opts.Metrics.RequestStarted()
		}
		r, span := s.startServerSpan(w, r)
		tw := &trackingWriter{ResponseWriter: w}
		stream := false
		tw.beforeHeader = func(status int) {
			stream = timingHeaders(tw.Header(), status, rec.Snapshot(), time.Now())
		}
		completed := false
		defer func() {
			took := time.Since(start)
			snap := rec.Snapshot()
			if stream {
				streamTimingTrailers(tw.Header(), snap, time.Now())
			}
			if s.opts.Metrics != nil {
				s.opts.Metrics.RequestDone(tw.status, took, snap)
			}
			s.accessLog(r, tw, took, snap, completed)
			endServerSpan(span, tw.status, snap)
		}()
		next.ServeHTTP(tw, r)
		completed = true
	})
}

// accessLog writes one line for a finished request.
func (s *Server) accessLog(r *http.Request, tw *trackingWriter, took time.Duration, snap telemetry.RequestSnapshot, completed bool) {
	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", tw.status),
		slog.Int64("bytes", tw.bytes),
		slog.Duration("duration", took),
		slog.String("remote", r.RemoteAddr),
	}
	if snap.Endpoint != "" {
		attrs = append(attrs, slog.String("endpoint", snap.Endpoint))
	}
	if snap.Model != "" {
		attrs = append(attrs, slog.String("model", snap.Model))
	}
	if snap.Cache != "" {
		attrs = append(attrs, slog.String("cache", snap.Cache))
	}
	if snap.Auth != "" {
		// The key's id, never its secret.
		attrs = append(attrs, slog.String("auth", snap.Auth), slog.String("key_id", snap.KeyID))
	}
	if snap.Ran || snap.PromptTokens > 0 {
		attrs = append(attrs, slog.Int("prompt_tokens", snap.PromptTokens), slog.Int("generated_tokens", snap.GeneratedTokens))
	}
	if snap.Ran {
		attrs = append(attrs, slog.Duration("queue", snap.Queue), slog.Duration("inference", snap.InferenceTime(time.Now())))
	}
	if d, ok := snap.TimeToFirstToken(); ok {
		attrs = append(attrs, slog.Duration("ttft", d))
	}
	if snap.Prompt != "" {
		attrs = append(attrs, slog.String("prompt", snap.Prompt))
	}
	msg, level := "request", slog.LevelInfo
	if !completed {
		// Only http.ErrAbortHandler gets past withRecovery: the
		// connection is being cut on purpose.
		msg, level = "request aborted", slog.LevelWarn
	} else if tw.status >= 500 {
		level = slog.LevelError
	}
	s.log.LogAttrs(r.Context(), level, msg, attrs...)
}

// timingHeaders sets the timing headers on a response about to start with
// status, and reports whether it is a stream (whose other timings go in
// trailers). Error responses get none.
func timingHeaders(h http.Header, status int, snap telemetry.RequestSnapshot, now time.Time) (stream bool) {
	if status >= 400 || (!snap.Ran && snap.PromptTokens == 0) {
		return false
	}
	stream = strings.HasPrefix(h.Get("Content-Type"), "text/event-stream")
	if snap.Ran {
		h.Set(headerQueueTime, millis(snap.Queue))
	}
	h.Set(headerPromptTokens, strconv.Itoa(snap.PromptTokens))
	if stream {
		for _, t := range []string{headerInferenceTime, headerTimePerToken, headerGeneratedTokens} {
			h.Add("Trailer", t)
		}
		return true
	}
	setOutcomeHeaders(h, snap, now)
	return false
}

// streamTimingTrailers fills the trailers a stream declared.
func streamTimingTrailers(h http.Header, snap telemetry.RequestSnapshot, now time.Time) {
	setOutcomeHeaders(h, snap, now)
}

// setOutcomeHeaders sets what is known once the work is done: inference
// time and time per token (when the model ran) and generated tokens (for
// generations).
func setOutcomeHeaders(h http.Header, snap telemetry.RequestSnapshot, now time.Time) {
	if snap.Ran {
		inf := snap.InferenceTime(now)
		h.Set(headerInferenceTime, millis(inf))
		if snap.GeneratedTokens > 0 {
			h.Set(headerTimePerToken, millis(inf/time.Duration(snap.GeneratedTokens)))
		}
	}
	if snap.Sequences > 0 || snap.GeneratedTokens > 0 {
		h.Set(headerGeneratedTokens, strconv.Itoa(snap.GeneratedTokens))
	}
}

// millis writes d in whole milliseconds, as TGI's headers do.
func millis(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }
