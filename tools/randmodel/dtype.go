package main

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
)

// DType is a safetensors element type the tool writes.
type DType string

// The dtypes randmodel writes, spelt as safetensors headers spell them.
const (
	F32  DType = "F32"
	BF16 DType = "BF16"
	F16  DType = "F16"
)

// parseDType accepts the spellings people use on command lines.
func parseDType(s string) (DType, error) {
	switch strings.ToLower(s) {
	case "f32", "float32", "fp32":
		return F32, nil
	case "bf16", "bfloat16":
		return BF16, nil
	case "f16", "float16", "fp16":
		return F16, nil
	}
	return "", fmt.Errorf("unknown dtype %q (want f32, bf16 or f16)", s)
}

// size is the number of bytes of one element.
func (d DType) size() int {
	if d == F32 {
		return 4
	}
	return 2
}

// torchName is config.json's torch_dtype for d.
func (d DType) torchName() string {
	switch d {
	case BF16:
		return "bfloat16"
	case F16:
		return "float16"
	}
	return "float32"
}

// encode stores src in dst (len(dst) == len(src)*d.size()), little-endian,
// rounding to nearest even where d is narrower than float32, as
// torch.Tensor.to does.
func (d DType) encode(dst []byte, src []float32) {
	switch d {
	case F32:
		for i, v := range src {
			binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(v))
		}
	case BF16:
		for i, v := range src {
			binary.LittleEndian.PutUint16(dst[2*i:], toBF16(v))
		}
	case F16:
		for i, v := range src {
			binary.LittleEndian.PutUint16(dst[2*i:], toF16(v))
		}
	}
}

// toBF16 rounds v to the nearest bfloat16, ties to even. NaNs stay NaN.
func toBF16(v float32) uint16 {
	b := math.Float32bits(v)
	if b&0x7fffffff > 0x7f800000 {
		return uint16(b>>16) | 0x40 // keep it a (quiet) NaN after truncation
	}
	return uint16((b + 0x7fff + (b>>16)&1) >> 16)
}

// toF16 rounds v to the nearest IEEE 754 half, ties to even, with
// subnormals, overflow to infinity, and NaNs kept NaN.
func toF16(v float32) uint16 {
	b := math.Float32bits(v)
	sign := uint16(b>>16) & 0x8000
	abs := b & 0x7fffffff
	switch {
	case abs > 0x7f800000: // NaN
		return sign | 0x7e00
	case abs >= 0x477ff000: // rounds to 65536 or more: infinity
		return sign | 0x7c00
	case abs < 0x38800000: // below the smallest normal half, 2^-14
		// Scale into units of the smallest subnormal, 2^-24, and let the
		// float64 rounding of an exact half-integer decide ties to even.
		m := math.RoundToEven(float64(math.Float32frombits(abs)) * (1 << 24))
		return sign | uint16(m)
	}
	// Normal: rebias the exponent and round the 13 dropped mantissa bits.
	h := abs - (127-15)<<23
	h += 0xfff + (h>>13)&1
	return sign | uint16(h>>13)
}
