package tensor

import (
	"errors"
	"fmt"
)

// Matrix is a weight matrix stored [Rows, Cols] = [out, in], the layout Hugging
// Face saves nn.Linear weights in. Exactly one of F32 and U16 is set: F32 for
// float32 weights, U16 for the raw bits of F16 or BF16 weights, which stay 16-bit
// in memory and are widened inside the kernels. The slices may alias a
// memory-mapped file; kernels never write to them.
type Matrix struct {
	Rows, Cols int
	DType      DType
	F32        []float32
	U16        []uint16
}

// NewMatrixF32 wraps float32 data of shape [rows, cols] without copying it.
func NewMatrixF32(rows, cols int, data []float32) (*Matrix, error) {
	m := &Matrix{Rows: rows, Cols: cols, DType: F32, F32: data}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// NewMatrix16 wraps F16 or BF16 bits of shape [rows, cols] without copying them.
func NewMatrix16(rows, cols int, dt DType, bits []uint16) (*Matrix, error) {
	m := &Matrix{Rows: rows, Cols: cols, DType: dt, U16: bits}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// Validate reports whether m is well formed: positive shape, a known dtype, and
// exactly one data slice of exactly Rows·Cols elements matching the dtype.
func (m *Matrix) Validate() error {
	if m == nil {
		return errors.New("tensor: nil matrix")
	}
	if m.Rows <= 0 || m.Cols <= 0 {
		return fmt.Errorf("tensor: matrix shape [%d, %d]: dimensions must be positive", m.Rows, m.Cols)
	}
	if m.Rows > maxInt/m.Cols {
		return fmt.Errorf("tensor: matrix shape [%d, %d]: too many elements", m.Rows, m.Cols)
	}
	n := m.Rows * m.Cols
	switch m.DType {
	case F32:
		if m.U16 != nil {
			return errors.New("tensor: F32 matrix has 16-bit data")
		}
		if len(m.F32) != n {
			return fmt.Errorf("tensor: F32 matrix [%d, %d] needs %d values, has %d", m.Rows, m.Cols, n, len(m.F32))
		}
	case F16, BF16:
		if m.F32 != nil {
			return fmt.Errorf("tensor: %s matrix has float32 data", m.DType)
		}
		if len(m.U16) != n {
			return fmt.Errorf("tensor: %s matrix [%d, %d] needs %d values, has %d", m.DType, m.Rows, m.Cols, n, len(m.U16))
		}
	default:
		return fmt.Errorf("tensor: matrix dtype %s is not supported", m.DType)
	}
	return nil
}

// Bytes returns the memory the matrix data occupy.
func (m *Matrix) Bytes() int64 { return int64(m.Rows) * int64(m.Cols) * int64(m.DType.Size()) }

// Row writes row i widened to float32 into dst[:Cols] (an embedding lookup).
func (m *Matrix) Row(i int, dst []float32) {
	if i < 0 || i >= m.Rows {
		panic(fmt.Sprintf("tensor.Matrix.Row: row %d out of range [0, %d)", i, m.Rows))
	}
	checkLen("Matrix.Row", "dst", len(dst), m.Cols)
	lo, hi := i*m.Cols, (i+1)*m.Cols
	switch m.DType {
	case F32:
		copy(dst, m.F32[lo:hi])
	case BF16:
		BF16ToF32(dst, m.U16[lo:hi])
	case F16:
		F16ToF32(dst, m.U16[lo:hi])
	default:
		panic("tensor.Matrix.Row: unsupported dtype " + m.DType.String())
	}
}

const maxInt = int(^uint(0) >> 1)
