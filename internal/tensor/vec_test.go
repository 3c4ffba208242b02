package tensor

import (
	"fmt"
	"math"
	"testing"
)

func TestDotAxpy(t *testing.T) {
	forEachKernelSet(t, func(t *testing.T, ks kernels) {
		for _, n := range append(oddSizes, 0, 1000, 4864) {
			r := newRand(t)
			a, b := randSlice(r, n), randSlice(r, n+5)
			var want, scale float64
			for i := range n {
				want += float64(a[i]) * float64(b[i])
				scale += math.Abs(float64(a[i]) * float64(b[i]))
			}
			got := ks.dot(a, b[:n])
			checkClose(t, fmt.Sprintf("dot n=%d", n), []float32{got}, []float64{want}, []float64{scale}, n)

			for _, dt := range []DType{BF16, F16} {
				w, wide := randWeights(t, r, 1, max(n, 1), dt)
				var want, scale float64
				for i := range n {
					want += float64(a[i]) * float64(wide[i])
					scale += math.Abs(float64(a[i]) * float64(wide[i]))
				}
				var got float32
				if dt == BF16 {
					got = ks.dotBF16(a, w.U16[:n])
				} else {
					got = ks.dotF16(a, w.U16[:n])
				}
				checkClose(t, fmt.Sprintf("dot%s n=%d", dt, n), []float32{got}, []float64{want}, []float64{scale}, n)
			}

			y := randSlice(r, n+3)
			y0 := append([]float32(nil), y...)
			ks.axpy(0.37, a, y[:n])
			for i := range n {
				if want := y0[i] + 0.37*a[i]; math.Abs(float64(y[i]-want)) > 1e-6 {
					t.Fatalf("axpy n=%d [%d] = %v, want %v", n, i, y[i], want)
				}
			}
			for i := n; i < len(y); i++ {
				if y[i] != y0[i] {
					t.Fatalf("axpy n=%d wrote past its output at %d", n, i)
				}
			}
		}
	})
}

func TestElementwise(t *testing.T) {
	r := newRand(t)
	for _, n := range oddSizes {
		a, b := randSlice(r, n), randSlice(r, n)
		dst := make([]float32, n)
		Add(dst, a, b)
		for i := range n {
			if dst[i] != a[i]+b[i] {
				t.Fatalf("Add[%d]", i)
			}
		}
		Mul(dst, a, b)
		for i := range n {
			if dst[i] != a[i]*b[i] {
				t.Fatalf("Mul[%d]", i)
			}
		}
		x := append([]float32(nil), a...)
		Scale(x, -2.5)
		for i := range n {
			if x[i] != a[i]*-2.5 {
				t.Fatalf("Scale[%d]", i)
			}
		}
		rows := 3
		x = randSlice(r, rows*n)
		x0 := append([]float32(nil), x...)
		AddBias(x, b, rows)
		for i := range x {
			if x[i] != x0[i]+b[i%n] {
				t.Fatalf("AddBias[%d]", i)
			}
		}
		if got := Dot(a, b); math.Abs(float64(got-dotGo(a, b))) > 1e-4 {
			t.Fatalf("Dot = %v, want %v", got, dotGo(a, b))
		}
	}
}
