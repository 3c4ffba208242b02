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
	erf := func(v float64) float64 { return 0.5 * v * (1 + math.Erf(v/math.Sqrt2)) }
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
