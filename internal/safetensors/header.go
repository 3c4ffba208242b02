package safetensors

import (
	"fmt"
	"sort"
)

// MaxHeaderSize is the largest JSON header accepted, in bytes. Real headers
// are a few hundred kilobytes at most; the limit keeps a hostile length field
// from making a reader allocate gigabytes.
const MaxHeaderSize = 100 << 20

// metadataKey is the reserved header key that holds the free-form string map.
const metadataKey = "__metadata__"

// TensorInfo describes one tensor of a file's header.
type TensorInfo struct {
	// Name is the tensor's key in the header.
	Name string
	// DType is the element type.
	DType DType
	// Shape holds the dimensions, outermost first; empty for a scalar.
	Shape []int64
	// Begin and End delimit the tensor's bytes, relative to the start of the
	// data section (Header.DataOffset in the file).
	Begin, End int64
}

// NumElements returns the product of the shape (1 for a scalar). For a
// TensorInfo that came out of ParseHeader it cannot overflow.
func (t TensorInfo) NumElements() int64 {
	n := int64(1)
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// ByteSize returns End-Begin, the number of bytes of the tensor's data.
func (t TensorInfo) ByteSize() int64 { return t.End - t.Begin }

// Header is a parsed and validated safetensors header.
type Header struct {
	// Tensors lists every tensor, sorted by name.
	Tensors []TensorInfo
	// Metadata is the "__metadata__" map; nil when the header has none.
	Metadata map[string]string
	// DataOffset is where the data section starts in the file: 8+N.
	DataOffset int64
}

// Lookup returns the tensor called name.
func (h *Header) Lookup(name string) (TensorInfo, bool) {
	i := sort.Search(len(h.Tensors), func(i int) bool { return h.Tensors[i].Name >= name })
	if i < len(h.Tensors) && h.Tensors[i].Name == name {
		return h.Tensors[i], true
	}
	return TensorInfo{}, false
}

// Names returns the tensor names in sorted order.
func (h *Header) Names() []string {
	names := make([]string, len(h.Tensors))
	for i, t := range h.Tensors {
		names[i] = t.Name
	}
	return names
}

// ParseHeader parses and validates raw, the N bytes of JSON header of a file
// whose data section (everything after the header) is dataSize bytes long.
// It checks everything the package contract promises, so the returned
// tensors can be sliced out of the data section without further checks.
func ParseHeader(raw []byte, dataSize int64) (*Header, error) {
	h, err := parseHeader(raw, dataSize)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	return h, nil
}

// parseHeader is ParseHeader without the package prefix on errors, for
// callers that add their own context (the file path).
func parseHeader(raw []byte, dataSize int64) (*Header, error) {
	if len(raw) > MaxHeaderSize {
		return nil, fmt.Errorf("header is %d bytes, more than the %d allowed", len(raw), MaxHeaderSize)
	}
	if dataSize < 0 {
		return nil, fmt.Errorf("negative data section size %d", dataSize)
	}
	tensors, meta, err := decodeHeaderJSON(raw)
	if err != nil {
		return nil, err
	}
	if err := validateLayout(tensors, dataSize); err != nil {
		return nil, err
	}
	sort.Slice(tensors, func(i, j int) bool { return tensors[i].Name < tensors[j].Name })
	return &Header{Tensors: tensors, Metadata: meta, DataOffset: 8 + int64(len(raw))}, nil
}
