package tensor

import (
	"fmt"
	"math"
)

// DType is the element type of a weight matrix. The zero value is F32.
type DType uint8

// The element types a Matrix may hold.
const (
	F32  DType = iota // IEEE binary32
	F16               // IEEE binary16, stored as raw bits in []uint16
	BF16              // bfloat16 (the top half of a binary32), stored as raw bits in []uint16
)

// String returns the safetensors spelling of d.
func (d DType) String() string {
	switch d {
	case F32:
		return "F32"
	case F16:
		return "F16"
	case BF16:
		return "BF16"
	}
	return fmt.Sprintf("DType(%d)", uint8(d))
}

// Size returns the bytes one element of d occupies, or 0 for an unknown DType.
func (d DType) Size() int {
	switch d {
	case F32:
		return 4
	case F16, BF16:
		return 2
	}
	return 0
}

// bf16ToF32 widens one bfloat16: its bits are the top half of a float32.
func bf16ToF32(h uint16) float32 {
	return math.Float32frombits(uint32(h) << 16)
}

// f16ToF32 widens one IEEE half exactly (every half is representable as a float32).
func f16ToF32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch exp {
	case 0x1f: // Inf or NaN: keep the payload
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case 0:
		if mant == 0 {
			return math.Float32frombits(sign)
		}
		// Subnormal half: mant·2⁻²⁴, exact in float32.
		f := float32(mant) * (1.0 / (1 << 24))
		if sign != 0 {
			f = -f
		}
		return f
	}
	return math.Float32frombits(sign | (exp+(127-15))<<23 | mant<<13)
}

// f32ToBF16 rounds to the nearest bfloat16, ties to even, like torch's .to(bfloat16).
func f32ToBF16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 { // NaN: truncating could make it Inf, so force a quiet NaN
		return uint16(b>>16) | 0x40
	}
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}

// f32ToF16 rounds to the nearest IEEE half, ties to even; overflow gives ±Inf.
func f32ToF16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	abs := b & 0x7fffffff
	switch {
	case abs > 0x7f800000: // NaN: keep it quiet and non-zero
		return sign | 0x7e00 | uint16(abs>>13)&0x3ff
	case abs >= 0x477ff000: // rounds to beyond 65504 (or is Inf)
		return sign | 0x7c00
	case abs < 0x38800000: // below the smallest normal half: subnormal or zero
		// Value = abs as float; scale so that the half's subnormal ulp (2⁻²⁴) becomes 1,
		// then round to the nearest integer, ties to even, in exact integer arithmetic.
		if abs < 0x33000000 { // < 2⁻²⁵: rounds to zero (2⁻²⁵ itself ties to even 0)
			return sign
		}
		e := abs >> 23
		m := abs&0x7fffff | 0x800000 // 24-bit significand: value m·2^(e-150)
		s := 126 - e                 // value / 2⁻²⁴ = m >> s, with 14 <= s <= 24
		q := m >> s
		rem := m & (1<<s - 1)
		half := uint32(1) << (s - 1)
		if rem > half || (rem == half && q&1 == 1) {
			q++
		}
		return sign | uint16(q)
	}
	// Normal: rebias the exponent and round the 23-bit mantissa to 10 bits.
	r := abs - (127-15)<<23
	r += 0xfff + (r>>13)&1
	return sign | uint16(r>>13)
}

// BF16ToF32 widens bfloat16 bits to float32: dst[i] = src[i] for i < len(src).
func BF16ToF32(dst []float32, src []uint16) {
	checkLen("BF16ToF32", "dst", len(dst), len(src))
	for i, h := range src {
		dst[i] = bf16ToF32(h)
	}
}

// F16ToF32 widens IEEE half bits to float32 (exactly): dst[i] = src[i] for i < len(src).
func F16ToF32(dst []float32, src []uint16) {
	checkLen("F16ToF32", "dst", len(dst), len(src))
	for i, h := range src {
		dst[i] = f16ToF32(h)
	}
}

// F32ToBF16 rounds float32 values to bfloat16 bits, to nearest with ties to even
// (NaN stays NaN), as torch's tensor.to(torch.bfloat16).
func F32ToBF16(dst []uint16, src []float32) {
	checkLen("F32ToBF16", "dst", len(dst), len(src))
	for i, f := range src {
		dst[i] = f32ToBF16(f)
	}
}

// F32ToF16 rounds float32 values to IEEE half bits, to nearest with ties to even;
// magnitudes beyond the half range become ±Inf, as torch's tensor.to(torch.float16).
func F32ToF16(dst []uint16, src []float32) {
	checkLen("F32ToF16", "dst", len(dst), len(src))
	for i, f := range src {
		dst[i] = f32ToF16(f)
	}
}

// checkLen panics when a slice is shorter than the shape its caller declared.
func checkLen(kernel, name string, have, want int) {
	if have < want {
		panic(fmt.Sprintf("tensor.%s: len(%s) = %d, need %d", kernel, name, have, want))
	}
}
