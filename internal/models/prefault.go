package models

import (
	"slices"
	"unsafe"

	"hfserve/internal/tensor"
)

// prefaultChunk is how many bytes of weights one worker pages in at a time.
const prefaultChunk = 8 << 20

// span is a byte range of the mapped weight files, [start, end).
type span struct{ start, end uintptr }

// spanOf returns the address range of b.
func spanOf(b []byte) span {
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return span{p, p + uintptr(len(b))}
}

// mergeSpans sorts spans and joins those that overlap or lie within gap
// bytes of each other (a tensor's neighbours are usually adjacent in the
// file).
func mergeSpans(s []span, gap uintptr) []span {
	slices.SortFunc(s, func(a, b span) int {
		switch {
		case a.start < b.start:
			return -1
		case a.start > b.start:
			return 1
		}
		return 0
	})
	var out []span
	for _, x := range s {
		if n := len(out); n > 0 && x.start <= out[n-1].end+gap {
			out[n-1].end = max(out[n-1].end, x.end)
			continue
		}
		out = append(out, x)
	}
	return out
}

// ReadAhead asks the operating system to start reading every tensor of the
// files into its page cache in the background (nothing is mapped into the
// process, so resident memory does not grow). Loaders call it right after
// OpenWeights, so that a cold load reads the files in one sequential sweep
// rather than fault by fault.
func (w *Weights) ReadAhead() {
	var s []span
	for _, name := range w.st.Names() {
		if t, err := w.st.Tensor(name); err == nil && len(t.Data) > 0 {
			s = append(s, spanOf(t.Data))
		}
	}
	for _, x := range mergeSpans(s, 1<<20) {
		willNeed(x)
	}
}

// Prefault pages in every matrix taken so far that aliases the mapped files,
// split over p's workers, so that the first forward pass does not stop at
// each new page of weights (a minor fault per page when the files are in the
// page cache, a disk read when they are not). Loaders call it once the model
// is built: a model's weights are resident after its first forward pass
// anyway, so this moves that cost to the load and makes it cheaper.
//
// Matrices in skip are left alone: embedding tables that are only looked up
// by row (not also an output head), whose unused rows would otherwise be
// resident for nothing.
func (w *Weights) Prefault(p *tensor.Pool, skip ...*tensor.Matrix) {
	var chunks [][]byte
	for _, b := range w.mapped {
		if slices.ContainsFunc(skip, func(m *tensor.Matrix) bool { return m != nil && inPlace(m, b) }) {
			continue
		}
		for len(b) > prefaultChunk {
			chunks = append(chunks, b[:prefaultChunk])
			b = b[prefaultChunk:]
		}
		chunks = append(chunks, b)
	}
	p.For(len(chunks), 1, func(lo, hi int) {
		for _, c := range chunks[lo:hi] {
			populate(c)
		}
	})
}

// touch reads one byte of every 4 KiB of b, which maps its pages in.
func touch(b []byte) {
	var sum byte
	for i := 0; i < len(b); i += 4096 {
		sum += b[i]
	}
	sink(sum)
}

// sink keeps touch's reads from being optimized away.
//
//go:noinline
func sink(byte) {}
