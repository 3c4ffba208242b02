package safetensors

import (
	"encoding/binary"
	"math"
)

// F16ToF32 widens len(dst) IEEE 754 half-precision values, stored
// little-endian in src, to float32. The widening is exact: subnormals become
// normal float32s, infinities stay infinite and NaNs keep their sign and
// payload. src must hold at least 2*len(dst) bytes; a shorter src panics like
// an out-of-range index.
func F16ToF32(dst []float32, src []byte) {
	src = src[:2*len(dst)] // the panic promised above, before any write
	i := 0
	// Four values per 8-byte load: fewer loads and bounds checks.
	for ; i+4 <= len(dst); i += 4 {
		v := binary.LittleEndian.Uint64(src[2*i:])
		d := dst[i : i+4 : i+4]
		d[0] = math.Float32frombits(f16Bits(uint16(v)))
		d[1] = math.Float32frombits(f16Bits(uint16(v >> 16)))
		d[2] = math.Float32frombits(f16Bits(uint16(v >> 32)))
		d[3] = math.Float32frombits(f16Bits(uint16(v >> 48)))
	}
	for ; i < len(dst); i++ {
		dst[i] = math.Float32frombits(f16Bits(binary.LittleEndian.Uint16(src[2*i:])))
	}
}

// f16Bits returns the float32 bit pattern of the half-precision value h.
// It is branch-free (after F. Giesen's half_to_float_fast5) because weights
// mix exponents unpredictably: the exponent is rebiased with one add, and the
// rare cases are fixed up with selects the compiler turns into conditional
// moves.
func f16Bits(h uint16) uint32 {
	const expMask = 0x7c00 << 13 // the f16 exponent field, in float32 position
	o := uint32(h&0x7fff) << 13
	e := o & expMask
	o += (127 - 15) << 23 // rebias the exponent
	if e == expMask {     // Inf or NaN: the exponent must become all ones
		o += (128 - 16) << 23
	}
	// Zero or subnormal: o now encodes 2^-14 * (1 + m/1024); subtracting
	// 2^-14 in float32 leaves m * 2^-24 exactly, normalised by the FPU.
	sub := math.Float32bits(math.Float32frombits(o+1<<23) - math.Float32frombits(113<<23))
	if e == 0 {
		o = sub
	}
	return o | uint32(h&0x8000)<<16
}

// BF16ToF32 widens len(dst) bfloat16 values, stored little-endian in src, to
// float32. A bfloat16 is the top half of a float32, so the widening is exact
// for every value, NaNs included. src must hold at least 2*len(dst) bytes; a
// shorter src panics like an out-of-range index.
func BF16ToF32(dst []float32, src []byte) {
	src = src[:2*len(dst)]
	i := 0
	for ; i+4 <= len(dst); i += 4 {
		v := binary.LittleEndian.Uint64(src[2*i:])
		d := dst[i : i+4 : i+4]
		d[0] = math.Float32frombits(uint32(v) << 16)
		d[1] = math.Float32frombits(uint32(v>>16) << 16)
		d[2] = math.Float32frombits(uint32(v>>32) << 16)
		d[3] = math.Float32frombits(uint32(v>>48) << 16)
	}
	for ; i < len(dst); i++ {
		dst[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(src[2*i:])) << 16)
	}
}
