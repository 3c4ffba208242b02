package server

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"runtime/debug"

	"hfserve/api"
	"hfserve/internal/telemetry"
)

// RequestIDHeader carries the request id in requests and responses.
const RequestIDHeader = "X-Request-ID"

// requestIDKey is RequestIDHeader as http.Header stores it
// (http.CanonicalHeaderKey; a test checks they agree).
const requestIDKey = "X-Request-Id"

// middleware wraps h in the server's chain, outermost first: request id,
// observation (access log, metrics, timing headers), security headers,
// CORS, panic recovery, body limit, request timeout. The request id comes
// first so that every later line carries it; recovery sits inside the
// observation so that a recovered panic is logged and counted as the 500
// it became, and inside the security and CORS headers so that a 500 keeps
// them (a browser could not read it otherwise). CORS answers preflights
// itself, so it must stay outside anything that wants credentials:
// browsers send none with a preflight. API keys (withAuth) are checked
// innermost, under the request timeout and inside the observation, so the
// access log shows each decision.
func (s *Server) middleware(h http.Handler) http.Handler {
	h = s.withAuth(h)
	h = s.withTimeout(h)
	h = s.withBodyLimit(h)
	h = s.withRecovery(h)
	h = s.withCORS(h)
	h = s.withSecurityHeaders(h)
	h = s.withObserve(h)
	h = s.withRequestID(h)
	return h
}

// withRequestID keeps a sane client X-Request-ID, so ids can be followed
// across services, and generates one otherwise.
func (s *Server) withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if !telemetry.ValidRequestID(id) {
			id = telemetry.NewRequestID()
		}
		w.Header().Set(RequestIDHeader, id)
		if s.opts.Version != "" {
			w.Header().Set("Server", "hfserve/"+s.opts.Version)
		}
		next.ServeHTTP(w, r.WithContext(telemetry.WithRequestID(r.Context(), id)))
	})
}

// withRecovery turns a handler panic into a logged 500 in the OpenAI shape
// and keeps the server running. http.ErrAbortHandler is net/http's signal
// to cut the connection silently, so it is passed on untouched; a panic
// after the response has started cannot become a 500 any more and is
// turned into that signal, so the client sees a cut connection rather
// than a truncated body that looks complete.
func (s *Server) withRecovery(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The headers set so far are the server's own (request id,
		// security, CORS); those the handler adds are its response's.
		own := w.Header().Clone()
		tw := &trackingWriter{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.LogAttrs(r.Context(), slog.LevelError, "handler panic",
				slog.String("panic", fmt.Sprint(v)),
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.String("stack", string(debug.Stack())))
			if tw.wroteHeader() {
				panic(http.ErrAbortHandler)
			}
			// Headers the handler set were for the response it meant to
			// send; only the server's own survive into the 500.
			h := tw.Header()
			clear(h)
			maps.Copy(h, own)
			// The panic value stays in the log: it may hold internals.
			WriteError(tw, r, http.StatusInternalServerError, api.ErrTypeServer, "internal_error", "",
				"internal server error (request id "+telemetry.RequestID(r.Context())+")")
		}()
		next.ServeHTTP(tw, r)
	})
}

// withBodyLimit caps the request body; DecodeJSON turns the overflow into
// a 413.
func (s *Server) withBodyLimit(next http.Handler) http.Handler {
	maxBytes := s.opts.MaxRequestBodyBytes
	if maxBytes < 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A declared length over the limit is refused before reading
		// anything, whatever the handler would do with the body.
		if r.ContentLength > maxBytes {
			WriteError(w, r, http.StatusRequestEntityTooLarge, api.ErrTypeInvalidRequest, "request_too_large", "",
				fmt.Sprintf("request body is larger than the server's limit of %d bytes", maxBytes))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBytes)
		next.ServeHTTP(w, r)
	})
}

// withTimeout gives each request's context a deadline; handlers and
// everything below them honour it through ctx.
func (s *Server) withTimeout(next http.Handler) http.Handler {
	timeout := s.opts.RequestTimeout
	if timeout <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
