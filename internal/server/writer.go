package server

import "net/http"

// trackingWriter records what a handler wrote, for the access log and the
// panic handler. It passes Flush through (SSE handlers type-assert
// http.Flusher) and exposes Unwrap so http.ResponseController reaches the
// connection's other abilities (deadlines, hijacking).
type trackingWriter struct {
	http.ResponseWriter
	status int   // first status written; 0 until then
	bytes  int64 // body bytes written
	// beforeHeader, when set, is called once with the final status just
	// before the headers go out, while they can still be changed.
	beforeHeader func(status int)
}

func (w *trackingWriter) WriteHeader(status int) {
	// 1xx responses are informational; the real status follows.
	if w.status == 0 && status >= 200 {
		w.status = status
		if w.beforeHeader != nil {
			w.beforeHeader(status)
		}
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *trackingWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// Flush sends buffered data to the client. A writer that cannot flush makes
// this a no-op, which is what http.Flusher callers expect.
func (w *trackingWriter) Flush() {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (w *trackingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// wroteHeader reports whether the response has started, after which its
// status can no longer change.
func (w *trackingWriter) wroteHeader() bool { return w.status != 0 }
