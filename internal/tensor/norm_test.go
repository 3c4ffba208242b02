package tensor

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

func TestRMSNorm(t *testing.T) {
	for _, k := range availableKernels() {
		t.Run(k.isa.String(), func(t *testing.T) { testRMSNorm(t, k) })
	}
}

func testRMSNorm(t *testing.T, k kernels) {
	r := newRand(t)
	negZero := float32(math.Copysign(0, -1))
	for _, n := range oddSizes {
		rows := 3
		x, w := randSlice(r, rows*n), randSlice(r, n)
		x[0] *= 1000 // a large entry must not overflow or dominate wrongly
		if n > 2 {
			// Zeros of both signs come out as float32(x·inv)·w does: the
			// sign of x times the sign of w.
			x[n+1], x[2*n-1] = negZero, 0
		}
		dst := make([]float32, rows*n)
		k.rmsNorm(dst, x, w, rows, 1e-6)
		for row := range rows {
			xr := x[row*n : (row+1)*n]
			var ss float64
			for _, v := range xr {
				ss += float64(v) * float64(v)
			}
			inv := 1 / math.Sqrt(ss/float64(n)+1e-6)
			for i, v := range xr {
				name := fmt.Sprintf("RMSNorm n=%d [%d,%d]", n, row, i)
				got := dst[row*n+i]
				if v == 0 {
					if want := v * w[i]; math.Float32bits(got) != math.Float32bits(want) {
						t.Fatalf("%s: %v·w = %v, want %v", name, v, got, want)
					}
					continue
				}
				want := float64(v) * inv * float64(w[i])
				checkRel(t, name, got, want, 4e-7*math.Abs(float64(w[i])*float64(v)*inv)+1e-30)
			}
		}
		k.rmsNorm(x, x, w, rows, 1e-6) // in place
		for i := range x {
			if math.Float32bits(x[i]) != math.Float32bits(dst[i]) {
				t.Fatalf("RMSNorm in place differs at %d", i)
			}
		}
	}
}

func TestLayerNorm(t *testing.T) {
	for _, k := range availableKernels() {
		t.Run(k.isa.String(), func(t *testing.T) { testLayerNorm(t, k) })
	}
}

func testLayerNorm(t *testing.T, k kernels) {
	r := newRand(t)
	for _, n := range oddSizes {
		rows := 2
		x, w, b := randSlice(r, rows*n), randSlice(r, n), randSlice(r, n)
		for i := range x {
			x[i] += 50 // a large mean: the variance must not cancel catastrophically
		}
		for _, bias := range [][]float32{b, nil} {
			dst := make([]float32, rows*n)
			k.layerNorm(dst, x, w, bias, rows, 1e-5)
			inPlace := slices.Clone(x)
			k.layerNorm(inPlace, inPlace, w, bias, rows, 1e-5)
			if !slices.Equal(inPlace, dst) {
				t.Fatalf("LayerNorm n=%d in place differs", n)
			}
			for row := range rows {
				xr := x[row*n : (row+1)*n]
				var mean, v float64
				for _, e := range xr {
					mean += float64(e)
				}
				mean /= float64(n)
				for _, e := range xr {
					v += (float64(e) - mean) * (float64(e) - mean)
				}
				v /= float64(n)
				rstd := 1 / math.Sqrt(v+1e-5)
				for i, e := range xr {
					norm := (float64(e) - mean) * rstd
					want := norm * float64(w[i])
					if bias != nil {
						want += float64(bias[i])
					}
					// x·rstd − mean·rstd loses bits to cancellation (as torch does):
					// the error scales with |x|·rstd, not with the result.
					tol := 4e-7*(math.Abs(float64(e))*rstd+1)*math.Abs(float64(w[i])) + 1e-6
					checkRel(t, fmt.Sprintf("LayerNorm n=%d bias=%v [%d,%d]", n, bias != nil, row, i), dst[row*n+i], want, tol)
				}
			}
		}
	}
}

func checkRel(t *testing.T, what string, got float32, want, tol float64) {
	t.Helper()
	if math.IsNaN(float64(got)) || math.Abs(float64(got)-want) > tol {
		t.Fatalf("%s = %v, want %v (tol %.3g)", what, got, want, tol)
	}
}
