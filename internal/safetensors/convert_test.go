package safetensors

import (
	"encoding/binary"
	"math"
	"testing"
)

// refF16 is the textbook IEEE 754 binary16 definition, evaluated in float64:
// (-1)^s * 2^(e-15) * (1 + m/1024) for normal numbers, 2^-14 * m/1024 for
// subnormals. Every binary16 value is exactly representable in float32, so
// the final conversion is exact.
func refF16(h uint16) float32 {
	s := 1.0
	if h&0x8000 != 0 {
		s = -1
	}
	e := int(h>>10) & 0x1f
	m := float64(h & 0x3ff)
	switch e {
	case 0:
		return float32(s * math.Ldexp(m/1024, -14))
	case 31:
		if m == 0 {
			return float32(math.Inf(int(s)))
		}
		return float32(math.NaN())
	}
	return float32(s * math.Ldexp(1+m/1024, e-15))
}

// refBF16 is the same definition for bfloat16: 8 exponent bits (bias 127)
// and 7 mantissa bits.
func refBF16(b uint16) float32 {
	s := 1.0
	if b&0x8000 != 0 {
		s = -1
	}
	e := int(b>>7) & 0xff
	m := float64(b & 0x7f)
	switch e {
	case 0:
		return float32(s * math.Ldexp(m/128, -126))
	case 255:
		if m == 0 {
			return float32(math.Inf(int(s)))
		}
		return float32(math.NaN())
	}
	return float32(s * math.Ldexp(1+m/128, e-127))
}

// checkWiden compares a converted value with the reference: bit-exact for
// numbers (so -0 counts), and for NaNs the sign and payload must survive in
// the top bits, as IEEE 754 widening requires.
func checkWiden(t *testing.T, kind string, in uint16, got, want float32, payloadShift uint) {
	t.Helper()
	if math.IsNaN(float64(want)) {
		gb := math.Float32bits(got)
		if !math.IsNaN(float64(got)) || gb>>31 != uint32(in>>15) || gb&0x7fffff != (uint32(in)<<payloadShift)&0x7fffff {
			t.Fatalf("%s %#04x: got %#08x, want a NaN with the same sign and payload", kind, in, gb)
		}
		return
	}
	if math.Float32bits(got) != math.Float32bits(want) {
		t.Fatalf("%s %#04x: got %g (%#08x), want %g (%#08x)", kind, in, got, math.Float32bits(got), want, math.Float32bits(want))
	}
}

// allHalves is every 16-bit pattern, little-endian.
func allHalves() []byte {
	src := make([]byte, 2*65536)
	for i := range 65536 {
		binary.LittleEndian.PutUint16(src[2*i:], uint16(i))
	}
	return src
}

func TestF16ToF32AllValues(t *testing.T) {
	dst := make([]float32, 65536)
	F16ToF32(dst, allHalves())
	for i := range 65536 {
		checkWiden(t, "f16", uint16(i), dst[i], refF16(uint16(i)), 13)
	}
}

func TestBF16ToF32AllValues(t *testing.T) {
	dst := make([]float32, 65536)
	BF16ToF32(dst, allHalves())
	for i := range 65536 {
		checkWiden(t, "bf16", uint16(i), dst[i], refBF16(uint16(i)), 16)
	}
}

func TestHalfKnownValues(t *testing.T) {
	// Worked by hand from the bit layouts.
	cases := []struct {
		kind string
		bits uint16
		want float64
	}{
		{"f16", 0x3c00, 1},                     // exponent 15 = 2^0
		{"f16", 0xc000, -2},                    // sign, exponent 16
		{"f16", 0x3800, 0.5},                   // exponent 14
		{"f16", 0x3555, 0.333251953125},        // 2^-2 * (1 + 341/1024)
		{"f16", 0x7bff, 65504},                 // largest finite: 2^15 * (2 - 2^-10)
		{"f16", 0x0400, 6.103515625e-05},       // smallest normal 2^-14
		{"f16", 0x0001, 5.960464477539063e-08}, // smallest subnormal 2^-24
		{"f16", 0x03ff, 6.097555160522461e-05}, // largest subnormal 1023 * 2^-24
		{"f16", 0x8001, -5.960464477539063e-08},
		{"f16", 0x8000, math.Copysign(0, -1)},
		{"f16", 0x7c00, math.Inf(1)},
		{"f16", 0xfc00, math.Inf(-1)},
		{"bf16", 0x3f80, 1},
		{"bf16", 0xc0c0, -6},                     // -(1.5 * 2^2)
		{"bf16", 0x3e80, 0.25},                   // 2^-2
		{"bf16", 0x7f7f, 3.3895313892515355e+38}, // largest finite: 2^127 * (2 - 2^-7)
		{"bf16", 0x0001, 9.183549615799121e-41},  // smallest subnormal 2^-133
		{"bf16", 0xff80, math.Inf(-1)},
	}
	for _, c := range cases {
		src := binary.LittleEndian.AppendUint16(nil, c.bits)
		dst := make([]float32, 1)
		if c.kind == "f16" {
			F16ToF32(dst, src)
		} else {
			BF16ToF32(dst, src)
		}
		if want := float32(c.want); math.Float32bits(dst[0]) != math.Float32bits(want) {
			t.Errorf("%s %#04x = %g, want %g", c.kind, c.bits, dst[0], want)
		}
	}
	// NaNs stay NaN whatever the payload, quiet or signalling.
	for _, c := range []struct {
		kind string
		bits uint16
	}{{"f16", 0x7e00}, {"f16", 0x7c01}, {"f16", 0xfe00}, {"bf16", 0x7fc0}, {"bf16", 0x7f81}, {"bf16", 0xffc0}} {
		dst := make([]float32, 1)
		src := binary.LittleEndian.AppendUint16(nil, c.bits)
		if c.kind == "f16" {
			F16ToF32(dst, src)
		} else {
			BF16ToF32(dst, src)
		}
		if !math.IsNaN(float64(dst[0])) {
			t.Errorf("%s %#04x = %g, want NaN", c.kind, c.bits, dst[0])
		}
	}
}

func TestHalfEmptyAndLongSource(t *testing.T) {
	F16ToF32(nil, nil) // must not panic
	BF16ToF32(nil, nil)
	// A longer source converts only len(dst) values.
	dst := make([]float32, 1)
	F16ToF32(dst, []byte{0x00, 0x3c, 0x00, 0x40})
	if dst[0] != 1 {
		t.Errorf("got %g", dst[0])
	}
}

// TestFixtureHalves converts every tensor of the BF16 (qwen2) and F16
// (xlm-roberta) fixtures and compares each value with the references applied
// to the file's raw bytes, read independently of the package.
func TestFixtureHalves(t *testing.T) {
	cases := []struct {
		path  string
		dtype string
		ref   func(uint16) float32
		shift uint
	}{
		{"../../testdata/models/tiny/qwen2/model.safetensors", "BF16", refBF16, 16},
		{"../../testdata/models/tiny/xlm-roberta/model.safetensors", "F16", refF16, 13},
	}
	for _, c := range cases {
		t.Run(c.dtype, func(t *testing.T) {
			ref, data := refRead(t, c.path)
			f, err := Open(c.path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			nonzero := 0
			for name, e := range ref {
				if e.DType != c.dtype {
					t.Fatalf("%s: fixture dtype %s, want %s", name, e.DType, c.dtype)
				}
				tt, err := f.Tensor(name)
				if err != nil {
					t.Fatal(err)
				}
				got := make([]float32, tt.Info.NumElements())
				if err := tt.ToFloat32(got); err != nil {
					t.Fatal(err)
				}
				raw := data[e.Offsets[0]:e.Offsets[1]]
				for i, v := range got {
					in := binary.LittleEndian.Uint16(raw[2*i:])
					checkWiden(t, name, in, v, c.ref(in), c.shift)
					if v != 0 {
						nonzero++
					}
				}
			}
			if nonzero == 0 {
				t.Error("every value is zero: the fixture or the reading is wrong")
			}
		})
	}
}

func benchmarkHalf(b *testing.B, conv func([]float32, []byte)) {
	const n = 1 << 20
	src := make([]byte, 2*n)
	for i := range n {
		// A spread of exponents, subnormals included, as in real weights.
		binary.LittleEndian.PutUint16(src[2*i:], uint16(i*40503))
	}
	dst := make([]float32, n)
	b.SetBytes(2 * n)
	b.ResetTimer()
	for b.Loop() {
		conv(dst, src)
	}
}

func BenchmarkF16ToF32(b *testing.B)  { benchmarkHalf(b, F16ToF32) }
func BenchmarkBF16ToF32(b *testing.B) { benchmarkHalf(b, BF16ToF32) }

// TestHalfLengths covers the four-at-a-time body and the scalar tail with
// every remainder.
func TestHalfLengths(t *testing.T) {
	src := allHalves()[2*0x3bf0:] // a run of normal values around 1
	for n := range 11 {
		for _, c := range []struct {
			conv  func([]float32, []byte)
			ref   func(uint16) float32
			shift uint
		}{{F16ToF32, refF16, 13}, {BF16ToF32, refBF16, 16}} {
			dst := make([]float32, n+1)
			dst[n] = 42 // sentinel: must not be written
			c.conv(dst[:n], src)
			for i := range n {
				in := binary.LittleEndian.Uint16(src[2*i:])
				checkWiden(t, "len", in, dst[i], c.ref(in), c.shift)
			}
			if dst[n] != 42 {
				t.Errorf("n=%d: wrote past len(dst)", n)
			}
		}
	}
}

func TestHalfShortSourcePanics(t *testing.T) {
	for name, conv := range map[string]func([]float32, []byte){"F16": F16ToF32, "BF16": BF16ToF32} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic for a 3-byte source and 2 values", name)
				}
			}()
			conv(make([]float32, 2), make([]byte, 3))
		}()
	}
}
