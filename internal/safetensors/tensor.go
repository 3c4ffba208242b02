package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"
)

// Tensor is one tensor's header entry and its raw little-endian bytes.
type Tensor struct {
	// Info is the tensor's header entry.
	Info TensorInfo
	// Data holds the tensor's bytes. For a tensor from a File it aliases the
	// read-only mapping: never write to it, and do not use it after Close.
	Data []byte
}

// hostLittleEndian reports whether this machine stores numbers the way
// safetensors files do; zero-copy views are only correct when it does.
func hostLittleEndian() bool { return binary.NativeEndian.Uint16([]byte{1, 0}) == 1 }

// checkLen verifies that Data holds exactly the elements Info promises. A
// tensor from a File always does; a hand-built one might not.
func (t Tensor) checkLen() (int64, error) {
	size := int64(t.Info.DType.Size())
	if size == 0 {
		return 0, fmt.Errorf("safetensors: tensor %q: unknown dtype %q", t.Info.Name, string(t.Info.DType))
	}
	n, err := checkedElements(t.Info.Shape)
	if err != nil || n > math.MaxInt64/size {
		return 0, fmt.Errorf("safetensors: tensor %q: shape %v is too large", t.Info.Name, t.Info.Shape)
	}
	if int64(len(t.Data)) != n*size {
		return 0, fmt.Errorf("safetensors: tensor %q: %d bytes of data for %d elements of %s", t.Info.Name, len(t.Data), n, t.Info.DType)
	}
	return n, nil
}

// Float32s returns the tensor's data as a []float32 without copying. It fails
// for any dtype but F32, for data not aligned to 4 bytes (a header whose
// length Rust did not pad), and on big-endian machines; ToFloat32 works in
// all those cases. The slice aliases Data and is equally read-only.
func (t Tensor) Float32s() ([]float32, error) {
	if t.Info.DType != F32 {
		return nil, fmt.Errorf("safetensors: tensor %q: is %s, not F32: convert it with ToFloat32", t.Info.Name, t.Info.DType)
	}
	n, err := t.checkLen()
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return []float32{}, nil
	}
	if !hostLittleEndian() {
		return nil, fmt.Errorf("safetensors: tensor %q: zero-copy F32 views need a little-endian machine: use ToFloat32", t.Info.Name)
	}
	p := unsafe.Pointer(unsafe.SliceData(t.Data))
	if uintptr(p)%unsafe.Alignof(float32(0)) != 0 {
		return nil, fmt.Errorf("safetensors: tensor %q: data is not 4-byte aligned: use ToFloat32", t.Info.Name)
	}
	return unsafe.Slice((*float32)(p), n), nil
}

// ToFloat32 converts the tensor to float32 into dst, whose length must equal
// the element count. F32 is copied, F16 and BF16 are widened exactly, F64 is
// rounded to nearest (out-of-range values become ±Inf).
func (t Tensor) ToFloat32(dst []float32) error {
	n, err := t.checkLen()
	if err != nil {
		return err
	}
	if int64(len(dst)) != n {
		return fmt.Errorf("safetensors: tensor %q: destination holds %d values, tensor has %d", t.Info.Name, len(dst), n)
	}
	src := t.Data
	switch t.Info.DType {
	case F32:
		if view, err := t.Float32s(); err == nil {
			copy(dst, view)
			return nil
		}
		// Misaligned or big-endian: decode value by value.
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
		}
	case F16:
		F16ToF32(dst, src)
	case BF16:
		BF16ToF32(dst, src)
	case F64:
		for i := range dst {
			dst[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(src[8*i:])))
		}
	default:
		return fmt.Errorf("safetensors: tensor %q: cannot convert %s to float32", t.Info.Name, t.Info.DType)
	}
	return nil
}
