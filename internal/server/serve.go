package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
)

// Serve answers requests on ln (HTTPS with Options.TLS, plain HTTP
// otherwise) until ctx is cancelled, then shuts down
// gracefully: it stops accepting connections, turns /ready to 503, waits
// up to ShutdownTimeout for in-flight requests to finish, and then closes
// the connections still open, cancelling their requests' contexts. It
// returns nil after a clean shutdown, an error wrapping
// context.DeadlineExceeded when requests had to be cut, and the listener's
// error if serving fails. Serve closes ln and may be called only once.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if !s.serving.CompareAndSwap(false, true) {
		_ = ln.Close()
		return errors.New("server: Serve called more than once")
	}
	// Requests' contexts descend from base, so cutting them at the
	// deadline also cancels the work they started.
	base, cutRequests := context.WithCancel(context.WithoutCancel(ctx))
	defer cutRequests()
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: limit(s.opts.ReadHeaderTimeout),
		ReadTimeout:       limit(s.opts.ReadTimeout),
		WriteTimeout:      limit(s.opts.WriteTimeout),
		IdleTimeout:       limit(s.opts.IdleTimeout),
		BaseContext:       func(net.Listener) context.Context { return base },
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	if s.opts.TLS != nil {
		// ServeTLS adds HTTP/2 to the protocols offered; the certificate
		// is in the config, so no files are named.
		srv.TLSConfig = s.opts.TLS.Clone()
		go func() { served <- srv.ServeTLS(ln, "", "") }()
	} else {
		go func() { served <- srv.Serve(ln) }()
	}
	s.log.InfoContext(ctx, "serving", "addr", ln.Addr().String(), "tls", s.opts.TLS != nil)

	select {
	case err := <-served:
		s.draining.Store(true)
		_ = srv.Close() // the listener is gone; do not leave connections behind
		return fmt.Errorf("server: serve on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}

	s.draining.Store(true)
	s.log.Info("shutting down", "timeout", s.opts.ShutdownTimeout)
	shutdownCtx := context.Background()
	if s.opts.ShutdownTimeout > 0 {
		var cancel context.CancelFunc
		shutdownCtx, cancel = context.WithTimeout(shutdownCtx, s.opts.ShutdownTimeout)
		defer cancel()
	}
	err := srv.Shutdown(shutdownCtx)
	<-served // http.ErrServerClosed, now that Shutdown has closed ln
	if err == nil {
		s.log.Info("shut down cleanly")
		return nil
	}
	// Connections first, then contexts: a handler that returns as soon as
	// its context ends must find its connection gone, or net/http would
	// still send its client a complete (empty) answer.
	if cerr := srv.Close(); cerr != nil {
		s.log.Warn("closing connections", "err", cerr)
	}
	cutRequests()
	s.log.Warn("shutdown deadline passed; in-flight requests were cut", "timeout", s.opts.ShutdownTimeout)
	return fmt.Errorf("server: shutdown after %s: %w", s.opts.ShutdownTimeout, err)
}
