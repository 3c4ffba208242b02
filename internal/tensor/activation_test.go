package tensor

import (
	"fmt"
	"math"
	"testing"
)

func TestActivations(t *testing.T) {
	r := newRand(t)
	x := randSlice(r, 1000)
	for i := range x {
		x[i] *= 12
	}
	x = append(x, 0, -0.0, 80, -80, 1e-20, float32(math.Inf(1)))
	erf := func(v float64) float64 {
		if v < 0 {
			return 0.5 * v * math.Erfc(-v/math.Sqrt2) // no 1 + erf cancellation
		}
		return 0.5 * v * (1 + math.Erf(v/math.Sqrt2))
	}
	tanhG := func(v float64) float64 {
		return 0.5 * v * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(v+0.044715*v*v*v)))
	}
	// gelu_fast's form of the same approximation, written as Hugging Face does.
	fast := func(v float64) float64 { return 0.5 * v * (1 + math.Tanh(v*0.7978845608*(1+0.044715*v*v))) }
	cases := []struct {
		name string
		f    func([]float32)
		ref  func(float64) float64
	}{
		{"SiLU", SiLU, func(v float64) float64 { return v / (1 + math.Exp(-v)) }},
		{"GELU", GELU, erf},
		{"GELUTanh", GELUTanh, tanhG},
		{"GELUTanh~fast", GELUTanh, fast},
		{"Tanh", Tanh, math.Tanh},
	}
	for _, c := range cases {
		y := append([]float32(nil), x...)
		c.f(y)
		for i, v := range x {
			want := c.ref(float64(v))
			if math.IsInf(float64(v), 1) {
				continue // limits differ by formula (Inf·0); covered by the finite cases
			}
			checkRel(t, c.name, y[i], want, 3e-7*math.Abs(want)+1e-30)
		}
	}
}

// TestSiLUKernels runs SiLU and SwiGLU on every kernel set (the vectorised exp is
// within a few ulps, so the bound is looser than the portable path's).
func TestSiLUKernels(t *testing.T) {
	forEachKernelSet(t, func(t *testing.T, k kernels) {
		r := newRand(t)
		for _, n := range append(oddSizes, 0, 1000) {
			x, up := randSlice(r, n), randSlice(r, n)
			for i := range x {
				x[i] *= 20
			}
			if n > 3 {
				x[0], x[1], x[2] = 100, -100, float32(math.Inf(-1))
			}
			sil, glu := make([]float32, n), make([]float32, n)
			k.silu(sil, x)
			k.swiglu(glu, x, up)
			for i, v := range x {
				g := float64(v)
				want := g / (1 + math.Exp(-g))
				if math.IsInf(g, -1) {
					want = 0 // the limit; torch gives -0 or NaN depending on the path
					if sil[i] != 0 && !math.IsNaN(float64(sil[i])) {
						t.Errorf("silu(-Inf) = %v", sil[i])
					}
					continue
				}
				checkRel(t, fmt.Sprintf("silu(%v)", v), sil[i], want, 6e-7*math.Abs(want)+1e-37)
				checkRel(t, fmt.Sprintf("swiglu(%v)", v), glu[i], want*float64(up[i]), 8e-7*math.Abs(want*float64(up[i]))+1e-37)
			}
		}
	})
}

// TestGELUKernels runs the erf GELU of every kernel set on a dense sweep of
// [-16, 16] (the whole range where the result is neither x nor below the
// smallest float32), large, tiny and special values, at lengths that leave
// tails after the 8-wide vector blocks, against float64 math.Erf.
func TestGELUKernels(t *testing.T) {
	var x []float32
	for i := -64000; i <= 64000; i++ {
		x = append(x, float32(i)/4000)
	}
	x = append(x, 0, float32(math.Copysign(0, -1)), 1e-20, -1e-20, 1e-40, -1e-40, 30, -30, 1e6, -1e6,
		float32(math.Inf(1)), float32(math.NaN()), -13.5, -14, -14.2, -14.5)
	forEachKernelSet(t, func(t *testing.T, k kernels) {
		for _, n := range []int{len(x), 7, 9, 1} {
			y := append([]float32(nil), x[len(x)-n:]...)
			k.gelu(y)
			for i, v := range x[len(x)-n:] {
				f := float64(v)
				want := 0.5 * f * (1 + math.Erf(f/math.Sqrt2))
				if f < 0 {
					want = 0.5 * f * math.Erfc(-f/math.Sqrt2) // no cancellation in the tail
				}
				switch {
				case math.IsNaN(f):
					if !math.IsNaN(float64(y[i])) {
						t.Errorf("%v: GELU(NaN) = %v", k.isa, y[i])
					}
				case math.IsInf(f, 1):
					if !math.IsInf(float64(y[i]), 1) {
						t.Errorf("%v: GELU(+Inf) = %v", k.isa, y[i])
					}
				default:
					// 2 ulps of normal results; subnormal ones are rounded to 1e-45.
					checkRel(t, fmt.Sprintf("%v: GELU(%v)", k.isa, v), y[i], want, 2.4e-7*math.Abs(want)+1e-45)
					if math.Signbit(float64(y[i])) != math.Signbit(f) && y[i] != 0 {
						t.Errorf("%v: GELU(%v) = %v has the wrong sign", k.isa, v, y[i])
					}
				}
			}
		}
	})
}
