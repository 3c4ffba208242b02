package models

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"unsafe"

	"hfserve/internal/safetensors"
	"hfserve/internal/tensor"
)

// Weights hands out a model folder's tensors, each checked against the
// shape its architecture expects. Like Config it records problems instead of
// returning them, so a loader asks for every tensor and then reports every
// missing or misshapen one at once from Err.
//
// Matrices alias the memory-mapped file where the bytes allow it (F32 and
// 16-bit data, aligned, on a little-endian machine); vectors are small and
// always widened to float32 copies.
type Weights struct {
	st     *safetensors.Model
	errs   []error
	bytes  int64
	counts map[safetensors.DType]int64
	// mapped holds the bytes of the matrices taken in place (see Prefault).
	mapped [][]byte
}

// OpenWeights maps the safetensors weights of the model folder dir.
func OpenWeights(dir string) (*Weights, error) {
	st, err := safetensors.OpenModel(dir)
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	return &Weights{st: st, counts: map[safetensors.DType]int64{}}, nil
}

// Close unmaps the weights; nothing taken from them may be used after it.
func (w *Weights) Close() error { return w.st.Close() }

// Has reports whether the file holds a tensor called name.
func (w *Weights) Has(name string) bool {
	_, ok := w.st.Lookup(name)
	return ok
}

// HasPrefix reports whether any tensor's name starts with prefix.
func (w *Weights) HasPrefix(prefix string) bool {
	for _, n := range w.st.Names() {
		if strings.HasPrefix(n, prefix) {
			return true
		}
	}
	return false
}

// Err joins every problem recorded so far; nil when there were none.
func (w *Weights) Err() error {
	if len(w.errs) == 0 {
		return nil
	}
	return fmt.Errorf("models: weights in %s: %w", w.st.Dir(), errors.Join(w.errs...))
}

// Bytes is the stored size of every tensor taken so far.
func (w *Weights) Bytes() int64 { return w.bytes }

// DType names the dtype holding most of the elements taken so far.
func (w *Weights) DType() string {
	var best safetensors.DType
	for d, n := range w.counts {
		if n > w.counts[best] || (n == w.counts[best] && d < best) {
			best = d
		}
	}
	return string(best)
}

func (w *Weights) failf(name, format string, args ...any) {
	w.errs = append(w.errs, fmt.Errorf("tensor %q: %s", name, fmt.Sprintf(format, args...)))
}

// take looks name up and checks its shape; ok is false after recording why.
func (w *Weights) take(name string, shape ...int) (safetensors.Tensor, bool) {
	t, err := w.st.Tensor(name)
	if err != nil {
		if errors.Is(err, safetensors.ErrTensorNotFound) {
			w.failf(name, "missing")
		} else {
			w.errs = append(w.errs, err)
		}
		return t, false
	}
	if !sameShape(t.Info.Shape, shape) {
		w.failf(name, "shape %v, want %v", t.Info.Shape, shape)
		return t, false
	}
	switch t.Info.DType {
	case safetensors.F32, safetensors.F16, safetensors.BF16, safetensors.F64:
	default:
		w.failf(name, "dtype %s is not supported (want F32, F16 or BF16)", t.Info.DType)
		return t, false
	}
	w.bytes += t.Info.ByteSize()
	w.counts[t.Info.DType] += t.Info.NumElements()
	return t, true
}

func sameShape(got []int64, want []int) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != int64(want[i]) {
			return false
		}
	}
	return true
}

// Matrix returns the 2-D tensor name of shape [rows, cols], kept in its
// stored dtype (F64 is narrowed to F32). It returns nil after recording a
// problem.
func (w *Weights) Matrix(name string, rows, cols int) *tensor.Matrix {
	t, ok := w.take(name, rows, cols)
	if !ok {
		return nil
	}
	var (
		m   *tensor.Matrix
		err error
	)
	switch t.Info.DType {
	case safetensors.F16, safetensors.BF16:
		dt := tensor.F16
		if t.Info.DType == safetensors.BF16 {
			dt = tensor.BF16
		}
		m, err = tensor.NewMatrix16(rows, cols, dt, uint16s(t))
	default:
		m, err = tensor.NewMatrixF32(rows, cols, float32s(t))
	}
	if err != nil {
		w.failf(name, "%v", err)
		return nil
	}
	if inPlace(m, t.Data) {
		w.mapped = append(w.mapped, t.Data)
	}
	return m
}

// inPlace reports whether m's data is data itself rather than a copy.
func inPlace(m *tensor.Matrix, data []byte) bool {
	if len(data) == 0 {
		return false
	}
	p := unsafe.Pointer(unsafe.SliceData(data))
	if m.F32 != nil {
		return unsafe.Pointer(unsafe.SliceData(m.F32)) == p
	}
	return m.U16 != nil && unsafe.Pointer(unsafe.SliceData(m.U16)) == p
}

// Vector returns the 1-D tensor name of length n widened to a float32
// copy; nil after recording a problem.
func (w *Weights) Vector(name string, n int) []float32 {
	t, ok := w.take(name, n)
	if !ok {
		return nil
	}
	dst := make([]float32, n)
	if err := t.ToFloat32(dst); err != nil {
		w.failf(name, "%v", err)
		return nil
	}
	return dst
}

// OptionalVector is Vector for a tensor that may be absent: nil, and no
// problem recorded, when it is.
func (w *Weights) OptionalVector(name string, n int) []float32 {
	if !w.Has(name) {
		return nil
	}
	return w.Vector(name, n)
}

// Transposed returns the 2-D tensor name stored [in, out] (GPT-2's Conv1D)
// as a matrix [out, in] in its stored dtype: a copy, made once at load, so
// the forward pass runs the same Linear kernel as every other model.
func (w *Weights) Transposed(name string, in, out int) *tensor.Matrix {
	t, ok := w.take(name, in, out)
	if !ok {
		return nil
	}
	var (
		m   *tensor.Matrix
		err error
	)
	switch t.Info.DType {
	case safetensors.F16, safetensors.BF16:
		dt := tensor.F16
		if t.Info.DType == safetensors.BF16 {
			dt = tensor.BF16
		}
		m, err = tensor.NewMatrix16(out, in, dt, transpose(uint16s(t), in, out))
	default:
		m, err = tensor.NewMatrixF32(out, in, transpose(float32s(t), in, out))
	}
	if err != nil {
		w.failf(name, "%v", err)
		return nil
	}
	return m
}

// transpose returns a copy of src [rows, cols] laid out [cols, rows].
func transpose[T any](src []T, rows, cols int) []T {
	dst := make([]T, len(src))
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			dst[c*rows+r] = src[r*cols+c]
		}
	}
	return dst
}

// float32s views F32 data in place when it can, else converts a copy.
func float32s(t safetensors.Tensor) []float32 {
	if v, err := t.Float32s(); err == nil {
		return v
	}
	dst := make([]float32, t.Info.NumElements())
	_ = t.ToFloat32(dst) // take checked dtype and length, which is all ToFloat32 can fail on
	return dst
}

// uint16s views 16-bit data in place when the bytes are aligned and the
// machine little-endian, else decodes a copy.
func uint16s(t safetensors.Tensor) []uint16 {
	n := len(t.Data) / 2
	if n == 0 {
		return []uint16{}
	}
	p := unsafe.Pointer(unsafe.SliceData(t.Data))
	if uintptr(p)%2 == 0 && binary.NativeEndian.Uint16([]byte{1, 0}) == 1 {
		return unsafe.Slice((*uint16)(p), n)
	}
	dst := make([]uint16, n)
	for i := range dst {
		dst[i] = binary.LittleEndian.Uint16(t.Data[2*i:])
	}
	return dst
}
