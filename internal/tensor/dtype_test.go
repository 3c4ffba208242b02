package tensor

import (
	"math"
	"sort"
	"testing"
)

// TestF16ToF32Exhaustive decodes every half against its definition.
func TestF16ToF32Exhaustive(t *testing.T) {
	src := make([]uint16, 1<<16)
	for i := range src {
		src[i] = uint16(i)
	}
	dst := make([]float32, len(src))
	F16ToF32(dst, src)
	for i, h := range src {
		want := halfToFloat64(h)
		got := float64(dst[i])
		if math.IsNaN(want) {
			if !math.IsNaN(got) {
				t.Fatalf("F16ToF32(%#04x) = %v, want NaN", h, got)
			}
			continue
		}
		if got != want || math.Signbit(got) != math.Signbit(want) {
			t.Fatalf("F16ToF32(%#04x) = %v, want %v", h, got, want)
		}
	}
}

// TestF32ToF16 rounds random and boundary floats and checks the result is the
// nearest half (ties to even), found by search over all finite halves.
func TestF32ToF16(t *testing.T) {
	var halves []uint16 // non-negative finite halves in increasing order
	for h := uint16(0); h < 0x7c00; h++ {
		halves = append(halves, h)
	}
	nearest := func(f float64) uint16 {
		a := math.Abs(f)
		var sign uint16
		if math.Signbit(f) {
			sign = 0x8000
		}
		if a >= 65520 { // max half 65504 + half an ulp (16): rounds to Inf
			return sign | 0x7c00
		}
		i := sort.Search(len(halves), func(i int) bool { return halfToFloat64(halves[i]) >= a })
		if i == len(halves) { // between 65504 and 65520
			return sign | 0x7bff
		}
		hi := halves[i]
		if i == 0 || halfToFloat64(hi) == a {
			return sign | hi
		}
		lo := halves[i-1]
		dl, dh := a-halfToFloat64(lo), halfToFloat64(hi)-a
		switch {
		case dl < dh:
			return sign | lo
		case dh < dl:
			return sign | hi
		case lo&1 == 0:
			return sign | lo
		}
		return sign | hi
	}
	r := newRand(t)
	var in []float32
	for range 20000 {
		in = append(in, math.Float32frombits(r.Uint32()&0x7fffffff|uint32(r.IntN(2))<<31))
	}
	for _, h := range halves { // exact halves and the midpoints between neighbours
		v := halfToFloat64(h)
		in = append(in, float32(v), -float32(v))
		if h+1 < 0x7c00 {
			mid := (v + halfToFloat64(h+1)) / 2
			in = append(in, float32(mid), math.Nextafter32(float32(mid), 0), math.Nextafter32(float32(mid), 1e9))
		}
	}
	in = append(in, 65504, 65519.99, 65520, 1e30, float32(math.Inf(1)), float32(math.Inf(-1)))
	out := make([]uint16, len(in))
	F32ToF16(out, in)
	for i, f := range in {
		if math.IsNaN(float64(f)) {
			if out[i]&0x7c00 != 0x7c00 || out[i]&0x3ff == 0 {
				t.Errorf("F32ToF16(NaN %#x) = %#04x, not a NaN", math.Float32bits(f), out[i])
			}
			continue
		}
		if want := nearest(float64(f)); out[i] != want {
			t.Errorf("F32ToF16(%v) = %#04x, want %#04x", f, out[i], want)
		}
	}
}

func TestBF16RoundTrip(t *testing.T) {
	r := newRand(t)
	for range 100000 {
		f := math.Float32frombits(r.Uint32())
		var h [1]uint16
		F32ToBF16(h[:], []float32{f})
		var back [1]float32
		BF16ToF32(back[:], h[:])
		if math.IsNaN(float64(f)) {
			if !math.IsNaN(float64(back[0])) {
				t.Fatalf("NaN %#x became %v", math.Float32bits(f), back[0])
			}
			continue
		}
		// Reference: the nearest bfloat16 by exact float64 comparison of the two
		// candidates that truncation brackets f between.
		lo := math.Float32frombits(math.Float32bits(f) &^ 0xffff)
		hi := math.Float32frombits(math.Float32bits(lo) + 0x10000)
		dl, dh := math.Abs(float64(f)-float64(lo)), math.Abs(float64(hi)-float64(f))
		want := lo
		if dh < dl || (dh == dl && math.Float32bits(lo)&0x10000 != 0) {
			want = hi
		}
		if math.Float32bits(back[0]) != math.Float32bits(want) {
			t.Fatalf("bf16(%v) = %v, want %v", f, back[0], want)
		}
	}
}

func TestMatrixValidate(t *testing.T) {
	cases := []struct {
		name string
		m    *Matrix
		ok   bool
	}{
		{"f32", &Matrix{Rows: 2, Cols: 3, F32: make([]float32, 6)}, true},
		{"bf16", &Matrix{Rows: 2, Cols: 3, DType: BF16, U16: make([]uint16, 6)}, true},
		{"short", &Matrix{Rows: 2, Cols: 3, F32: make([]float32, 5)}, false},
		{"long", &Matrix{Rows: 2, Cols: 3, DType: F16, U16: make([]uint16, 7)}, false},
		{"both", &Matrix{Rows: 1, Cols: 1, F32: make([]float32, 1), U16: make([]uint16, 1)}, false},
		{"zero rows", &Matrix{Rows: 0, Cols: 3}, false},
		{"overflow", &Matrix{Rows: maxInt / 2, Cols: 3}, false},
		{"dtype", &Matrix{Rows: 1, Cols: 1, DType: 9, U16: make([]uint16, 1)}, false},
		{"nil", nil, false},
	}
	for _, c := range cases {
		if err := c.m.Validate(); (err == nil) != c.ok {
			t.Errorf("%s: Validate() = %v, want ok=%v", c.name, err, c.ok)
		}
	}
	if _, err := NewMatrix16(2, 2, F32, make([]uint16, 4)); err == nil {
		t.Error("NewMatrix16 accepted F32")
	}
}

func TestMatrixRow(t *testing.T) {
	r := newRand(t)
	for _, dt := range []DType{F32, BF16, F16} {
		m, wide := randWeights(t, r, 5, 7, dt)
		dst := make([]float32, 7)
		for i := range 5 {
			m.Row(i, dst)
			for j, v := range dst {
				if v != wide[i*7+j] {
					t.Fatalf("%s Row(%d)[%d] = %v, want %v", dt, i, j, v, wide[i*7+j])
				}
			}
		}
	}
}
