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

// TestAddKernels checks every set's add: exactly a[i]+b[i], in place too (dst
// aliasing a), and nothing written past dst.
func TestAddKernels(t *testing.T) {
	forEachKernelSet(t, func(t *testing.T, ks kernels) {
		r := newRand(t)
		for _, n := range append(oddSizes, 1000) {
			a, b := randSlice(r, n+3), randSlice(r, n+3)
			dst := make([]float32, n+3)
			dst[n], dst[n+1], dst[n+2] = 7, 7, 7
			ks.add(dst[:n], a, b)
			for i := range n {
				if dst[i] != a[i]+b[i] {
					t.Fatalf("%s add n=%d [%d] = %v, want %v", ks.isa, n, i, dst[i], a[i]+b[i])
				}
			}
			checkTail(t, fmt.Sprintf("%s add n=%d", ks.isa, n), dst[n:], 7)
			x := append([]float32(nil), a[:n]...)
			ks.add(x, x, b)
			for i := range n {
				if x[i] != a[i]+b[i] {
					t.Fatalf("%s add in place n=%d [%d]", ks.isa, n, i)
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
