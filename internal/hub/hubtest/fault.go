package hubtest

import (
	"net/http"
)

// Fault is a failure the Hub injects, on demand, into the GETs of a file's
// content (the resolve answer of a file in git, the storage answer of an
// LFS file) or of the model info.
type Fault struct {
	// Path is the repo file the fault hits; "" hits every file.
	Path string
	// API makes the fault hit GET /api/models/... instead of file content
	// (only Status applies there).
	API bool
	// Status, when not 0, answers with this status (503, 500, 429)
	// instead of the content.
	Status int
	// DropAfter, when > 0, closes the connection after this many bytes
	// of the body, as a network drop does: the client got the headers
	// (with the full Content-Length) and part of the body.
	DropAfter int64
	// Stall makes DropAfter hang the connection instead of closing it:
	// the server sends nothing more until the client gives up.
	Stall bool
	// Corrupt flips the bits of one byte in the middle of the body.
	Corrupt bool
	// Times is how many requests the fault hits; 0 is every one.
	Times int

	hits int // guarded by Hub.mu
}

// InjectFault adds a fault; the first matching fault that has hits left
// applies to each request.
func (h *Hub) InjectFault(f Fault) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.faults = append(h.faults, &f)
}

// ClearFaults removes every fault.
func (h *Hub) ClearFaults() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.faults = nil
}

// FaultHits counts the requests faults have hit so far.
func (h *Hub) FaultHits() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, f := range h.faults {
		n += f.hits
	}
	return n
}

// takeFault returns a copy of the fault for this request, if any, and
// counts the hit.
func (h *Hub) takeFault(path string, api bool) (Fault, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, f := range h.faults {
		if f.API != api || (!api && f.Path != "" && f.Path != path) || (f.Times > 0 && f.hits >= f.Times) {
			continue
		}
		f.hits++
		return *f, true
	}
	return Fault{}, false
}

// faultyWriter applies a fault to a body being written: it stops after
// DropAfter bytes by aborting the connection.
type faultyWriter struct {
	http.ResponseWriter
	dropAfter int64
	written   int64
	stall     <-chan struct{} // when not nil, wait for it instead of closing
}

func (w *faultyWriter) Write(p []byte) (int, error) {
	if w.dropAfter <= 0 {
		return w.ResponseWriter.Write(p)
	}
	left := w.dropAfter - w.written
	if int64(len(p)) <= left {
		n, err := w.ResponseWriter.Write(p)
		w.written += int64(n)
		return n, err
	}
	n, _ := w.ResponseWriter.Write(p[:left])
	w.written += int64(n)
	// Send what was written, then cut the connection mid-body:
	// ErrAbortHandler makes the server close it without a proper end.
	http.NewResponseController(w.ResponseWriter).Flush()
	if w.stall != nil {
		<-w.stall // the client hung up
	}
	panic(http.ErrAbortHandler)
}

// corrupt returns content with one byte's bits flipped.
func corrupt(content []byte) []byte {
	out := append([]byte(nil), content...)
	if len(out) > 0 {
		out[len(out)/2] ^= 0xff
	}
	return out
}
