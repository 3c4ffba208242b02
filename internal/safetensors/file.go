package safetensors

import (
	"errors"
	"fmt"
	"os"
	"sync"
)

// ErrTensorNotFound is returned (wrapped) when a tensor name is not in a file
// or model.
var ErrTensorNotFound = errors.New("tensor not found")

// ErrClosed is returned (wrapped) when a closed File or Model is used.
var ErrClosed = errors.New("file closed")

// File is one memory-mapped .safetensors file. Its methods are safe for
// concurrent use; tensors taken from it are valid until Close. As with any
// mapping, truncating the file on disk while it is open makes later reads of
// the lost pages fault (SIGBUS); model files are not rewritten in place.
type File struct {
	path   string
	header *Header

	mu      sync.Mutex
	data    []byte // the whole file; nil once closed
	release func() error
}

// Open maps the file at path read-only and validates its header. Mapping
// costs address space, not memory, so a hostile header costs nothing until
// it is rejected.
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	// The mapping outlives the descriptor: closing it here is safe.
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("safetensors: %s: not a regular file", path)
	}
	if st.Size() < 8 {
		return nil, fmt.Errorf("safetensors: %s: %w", path, errTooSmall(st.Size()))
	}
	data, release, err := mapFile(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("safetensors: %s: %w", path, err)
	}
	h, err := parseFileBytes(data)
	if err != nil {
		_ = release()
		return nil, fmt.Errorf("safetensors: %s: %w", path, err)
	}
	return &File{path: path, header: h, data: data, release: release}, nil
}

// Path returns the path the file was opened from.
func (f *File) Path() string { return f.path }

// Header returns the file's validated header. It stays usable after Close.
func (f *File) Header() *Header { return f.header }

// Size returns the file's size in bytes (0 after Close).
func (f *File) Size() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return int64(len(f.data))
}

// Tensor returns the tensor called name. Its Data aliases the mapping: it is
// read-only (writing to it faults) and valid until Close.
func (f *File) Tensor(name string) (Tensor, error) {
	info, ok := f.header.Lookup(name)
	if !ok {
		return Tensor{}, fmt.Errorf("safetensors: %s: %q: %w", f.path, name, ErrTensorNotFound)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.data == nil {
		return Tensor{}, fmt.Errorf("safetensors: %s: tensor %q: %w", f.path, name, ErrClosed)
	}
	lo, hi := f.header.DataOffset+info.Begin, f.header.DataOffset+info.End
	// The full slice expression caps the view so append cannot reach into
	// the next tensor.
	return Tensor{Info: info, Data: f.data[lo:hi:hi]}, nil
}

// Close unmaps the file. Tensors taken from it must not be used afterwards.
// Calling Close again does nothing and returns nil.
func (f *File) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.data == nil {
		return nil
	}
	err := f.release()
	f.data, f.release = nil, nil
	if err != nil {
		return fmt.Errorf("safetensors: %s: %w", f.path, err)
	}
	return nil
}
