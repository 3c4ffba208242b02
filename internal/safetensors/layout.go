package safetensors

import (
	"fmt"
	"math"
	"sort"
)

// validateLayout checks each tensor's byte length against its shape and
// dtype, and that the tensors tile [0, dataSize) exactly. The Rust reference
// library rejects holes as well as overlaps, so a file it writes always passes
// and anything this accepts it accepts too.
func validateLayout(tensors []TensorInfo, dataSize int64) error {
	for _, t := range tensors {
		if err := validateTensor(t, dataSize); err != nil {
			return err
		}
	}
	byOffset := make([]int, len(tensors))
	for i := range byOffset {
		byOffset[i] = i
	}
	sort.Slice(byOffset, func(a, b int) bool {
		ta, tb := tensors[byOffset[a]], tensors[byOffset[b]]
		if ta.Begin != tb.Begin {
			return ta.Begin < tb.Begin
		}
		if ta.End != tb.End {
			return ta.End < tb.End
		}
		return ta.Name < tb.Name
	})
	var covered int64
	prev := ""
	for _, i := range byOffset {
		t := tensors[i]
		switch {
		case t.Begin < covered:
			return fmt.Errorf("tensor %q: data_offsets [%d, %d] overlap tensor %q, which ends at %d", t.Name, t.Begin, t.End, prev, covered)
		case t.Begin > covered:
			return fmt.Errorf("tensor %q: data_offsets [%d, %d] leave a hole of %d bytes at offset %d of the data section", t.Name, t.Begin, t.End, t.Begin-covered, covered)
		}
		covered = t.End
		prev = t.Name
	}
	if covered != dataSize {
		return fmt.Errorf("tensors cover %d bytes but the data section holds %d: the file is truncated or has trailing bytes", covered, dataSize)
	}
	return nil
}

// validateTensor checks one tensor on its own: offsets in bounds and ordered,
// and byte length equal to elements times dtype size, with the product
// guarded against overflow.
func validateTensor(t TensorInfo, dataSize int64) error {
	if t.Begin < 0 || t.End < 0 {
		return fmt.Errorf("tensor %q: negative data_offsets [%d, %d]", t.Name, t.Begin, t.End)
	}
	if t.Begin > t.End {
		return fmt.Errorf("tensor %q: data_offsets [%d, %d] begin after they end", t.Name, t.Begin, t.End)
	}
	if t.End > dataSize {
		return fmt.Errorf("tensor %q: data_offsets [%d, %d] run past the end of the %d-byte data section", t.Name, t.Begin, t.End, dataSize)
	}
	size := int64(t.DType.Size())
	if size == 0 {
		return fmt.Errorf("tensor %q: unknown dtype %q", t.Name, string(t.DType))
	}
	n, err := checkedElements(t.Shape)
	if err != nil {
		return fmt.Errorf("tensor %q: shape %v: %w", t.Name, t.Shape, err)
	}
	if n > math.MaxInt64/size {
		return fmt.Errorf("tensor %q: shape %v of %s overflows the byte count", t.Name, t.Shape, t.DType)
	}
	if n*size != t.End-t.Begin {
		return fmt.Errorf("tensor %q: shape %v of %s needs %d bytes but data_offsets [%d, %d] hold %d", t.Name, t.Shape, t.DType, n*size, t.Begin, t.End, t.End-t.Begin)
	}
	return nil
}

// checkedElements multiplies the dimensions, rejecting negative ones and
// products that overflow int64. A zero dimension makes the tensor empty
// whatever the others are.
func checkedElements(shape []int64) (int64, error) {
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension %d", d)
		}
		if d == 0 {
			return 0, nil
		}
	}
	n := int64(1)
	for _, d := range shape {
		if n > math.MaxInt64/d {
			return 0, fmt.Errorf("element count overflows int64")
		}
		n *= d
	}
	return n, nil
}
