package tensor

import (
	"fmt"
	"math"
	"testing"
)

// refInvFreq is modeling_rope_utils' inverse frequencies, in float64, written
// from the formulas rather than from rope.go.
func refInvFreq(headDim int, theta float64, s RoPEScaling, maxPos, seqLen int) []float64 {
	d := float64(headDim)
	if s.Type == "dynamic" && seqLen > maxPos {
		theta *= math.Pow(s.Factor*float64(seqLen)/float64(maxPos)-(s.Factor-1), d/(d-2))
	}
	inv := make([]float64, headDim/2)
	for i := range inv {
		f := 1 / math.Pow(theta, float64(2*i)/d)
		switch s.Type {
		case "linear":
			f /= s.Factor
		case "llama3":
			old := float64(s.OriginalMaxPositions)
			wavelen := 2 * math.Pi / f
			switch {
			case wavelen < old/s.HighFreqFactor: // high frequency: unchanged
			case wavelen > old/s.LowFreqFactor: // low frequency: interpolated
				f /= s.Factor
			default:
				smooth := (old/wavelen - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor)
				f = (1-smooth)*f/s.Factor + smooth*f
			}
		}
		inv[i] = f
	}
	return inv
}

var ropeCases = []struct {
	name    string
	headDim int
	theta   float64
	scaling RoPEScaling
	maxPos  int
}{
	{"default", 64, 10000, RoPEScaling{}, 2048},
	{"default-odd-half", 6, 10000, RoPEScaling{Type: "default"}, 100},
	{"qwen2", 64, 1000000, RoPEScaling{}, 32768},
	{"linear", 128, 10000, RoPEScaling{Type: "linear", Factor: 4}, 4096},
	{"dynamic", 64, 10000, RoPEScaling{Type: "dynamic", Factor: 2}, 64},
	{"llama3.1", 128, 500000, RoPEScaling{Type: "llama3", Factor: 8, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositions: 8192}, 131072},
	{"llama3.2-small", 64, 500000, RoPEScaling{Type: "llama3", Factor: 32, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositions: 8192}, 131072},
}

func TestRoPEInvFreq(t *testing.T) {
	for _, c := range ropeCases {
		r, err := NewRoPE(c.headDim, c.theta, c.scaling, c.maxPos)
		if err != nil {
			t.Fatal(c.name, err)
		}
		want := refInvFreq(c.headDim, c.theta, c.scaling, c.maxPos, 0)
		for i, w := range want {
			if got := float64(r.invFreq[i]); math.Abs(got-w) > freqUlps(c.scaling)*0x1p-24*w {
				t.Errorf("%s: inv_freq[%d] = %v, want %v", c.name, i, got, w)
			}
		}
	}
}

func TestRoPEApply(t *testing.T) {
	for _, c := range ropeCases {
		r, err := NewRoPE(c.headDim, c.theta, c.scaling, c.maxPos)
		if err != nil {
			t.Fatal(c.name, err)
		}
		rng := newRand(t)
		// Positions inside the table, past it, and (for dynamic) past max_position_embeddings.
		for _, positions := range [][]int{{0, 1, 2, 7}, {c.maxPos - 1}, {ropeTableMax + 3, 3}, {c.maxPos + 50, 5, 0}} {
			const heads = 3
			x := randSlice(rng, len(positions)*heads*c.headDim)
			x0 := append([]float32(nil), x...)
			r.Apply(x, heads, positions)
			seqLen := 0
			for _, p := range positions {
				seqLen = max(seqLen, p+1)
			}
			inv := refInvFreq(c.headDim, c.theta, c.scaling, c.maxPos, seqLen)
			half := c.headDim / 2
			for t0, p := range positions {
				for h := range heads {
					base := (t0*heads + h) * c.headDim
					for i := range half {
						angle := float64(p) * inv[i]
						a, b := float64(x0[base+i]), float64(x0[base+half+i])
						wantLo := a*math.Cos(angle) - b*math.Sin(angle)
						wantHi := b*math.Cos(angle) + a*math.Sin(angle)
						// torch's float32 inv_freq and angle are off by a few ulps of p·inv_freq.
						tol := (math.Abs(a) + math.Abs(b)) * (4e-7 + (freqUlps(c.scaling)+1)*0x1p-24*angle)
						what := fmt.Sprintf("%s pos=%d head=%d i=%d", c.name, p, h, i)
						checkRel(t, what+" lo", x[base+i], wantLo, tol)
						checkRel(t, what+" hi", x[base+half+i], wantHi, tol)
					}
				}
			}
		}
	}
}

// freqUlps bounds how far torch's float32 arithmetic puts inv_freq from the exact
// formula: one rounding of pow and one of the reciprocal, and for llama3's smooth
// band a handful more (five float32 operations, one of them a cancellation).
func freqUlps(s RoPEScaling) float64 {
	if s.Type == "llama3" {
		return 16
	}
	return 4
}

// TestRoPELlama3Bands checks the band structure Meta's scheme promises: the
// highest frequencies untouched, the lowest divided by factor.
func TestRoPELlama3Bands(t *testing.T) {
	s := RoPEScaling{Type: "llama3", Factor: 8, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositions: 8192}
	scaled, _ := NewRoPE(128, 500000, s, 131072)
	plain, _ := NewRoPE(128, 500000, RoPEScaling{}, 131072)
	if scaled.invFreq[0] != plain.invFreq[0] {
		t.Errorf("highest frequency changed: %v vs %v", scaled.invFreq[0], plain.invFreq[0])
	}
	last := len(plain.invFreq) - 1
	if got, want := scaled.invFreq[last], plain.invFreq[last]/8; got != want {
		t.Errorf("lowest frequency %v, want %v", got, want)
	}
}

func TestNewRoPEErrors(t *testing.T) {
	cases := []struct {
		headDim int
		theta   float64
		s       RoPEScaling
		maxPos  int
	}{
		{0, 10000, RoPEScaling{}, 10},
		{7, 10000, RoPEScaling{}, 10},
		{8, 0, RoPEScaling{}, 10},
		{8, math.NaN(), RoPEScaling{}, 10},
		{8, 10000, RoPEScaling{Type: "yarn", Factor: 2}, 10},
		{8, 10000, RoPEScaling{Type: "linear"}, 10},
		{8, 10000, RoPEScaling{Type: "dynamic", Factor: 2}, 0},
		{8, 10000, RoPEScaling{Type: "llama3", Factor: 8, LowFreqFactor: 4, HighFreqFactor: 1, OriginalMaxPositions: 8192}, 10},
		{8, 10000, RoPEScaling{Type: "llama3", Factor: 8, LowFreqFactor: 1, HighFreqFactor: 4}, 10},
		{8, 10000, RoPEScaling{}, -1},
	}
	for _, c := range cases {
		if _, err := NewRoPE(c.headDim, c.theta, c.s, c.maxPos); err == nil {
			t.Errorf("NewRoPE(%d, %v, %+v, %d) succeeded", c.headDim, c.theta, c.s, c.maxPos)
		}
	}
}

// TestRoPEApplyLenParts rotates a sequence past max_position_embeddings with
// dynamic scaling whole and in parts: parts given the whole sequence's length
// (ApplyLen) match the whole bit for bit, parts left to find their own
// length (Apply) do not — which is why a caller that splits a sequence must
// pass it.
func TestRoPEApplyLenParts(t *testing.T) {
	const heads, hd, n = 2, 8, 40
	r, err := NewRoPE(hd, 10000, RoPEScaling{Type: "dynamic", Factor: 2}, 16)
	if err != nil {
		t.Fatal(err)
	}
	rnd := newRand(t)
	x := randSlice(rnd, n*heads*hd)
	pos := make([]int, n)
	for i := range pos {
		pos[i] = i
	}
	whole := append([]float32(nil), x...)
	r.Apply(whole, heads, pos)
	parts, own := append([]float32(nil), x...), append([]float32(nil), x...)
	w := heads * hd
	for lo := 0; lo < n; lo += 12 {
		hi := min(n, lo+12)
		r.ApplyLen(parts[lo*w:hi*w], heads, pos[lo:hi], n)
		r.Apply(own[lo*w:hi*w], heads, pos[lo:hi])
	}
	same := func(a, b []float32) bool {
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
				return false
			}
		}
		return true
	}
	if !same(parts, whole) {
		t.Error("ApplyLen in parts differs from Apply on the whole sequence")
	}
	if same(own, whole) {
		t.Error("Apply in parts matches the whole: the test no longer exercises dynamic scaling")
	}
}

// TestRotateHeads checks every kernel set's head rotation against rotateHalf
// bit for bit, on half widths the vector kernel takes and ones it leaves to
// the portable loop.
func TestRotateHeads(t *testing.T) {
	r := newRand(t)
	for _, k := range availableKernels() {
		for _, half := range []int{1, 4, 8, 12, 32, 64} {
			for _, heads := range []int{1, 3, 14} {
				x := randSlice(r, heads*2*half)
				cos, sin := randSlice(r, half), randSlice(r, half)
				want := append([]float32(nil), x...)
				for h := range heads {
					rotateHalf(want[h*2*half:(h+1)*2*half], cos, sin)
				}
				k.rotateHeads(x, cos, sin)
				for i := range x {
					if math.Float32bits(x[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%s half=%d heads=%d: x[%d] = %v, want %v", k.isa, half, heads, i, x[i], want[i])
					}
				}
			}
		}
	}
}
