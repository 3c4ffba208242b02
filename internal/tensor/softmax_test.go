package tensor

import (
	"fmt"
	"math"
	"testing"
)

func TestSoftmax(t *testing.T) {
	forEachKernelSet(t, testSoftmax)
}

func testSoftmax(t *testing.T, k kernels) {
	r := newRand(t)
	inf := float32(math.Inf(-1))
	for _, n := range append(oddSizes, 1000) {
		rows := 4
		x := randSlice(r, rows*n)
		for i := range x {
			x[i] *= 30
		}
		for i := 0; i < n; i += 2 { // row 1: partly masked
			x[n+i] = inf
		}
		for i := range n { // row 2: fully masked
			x[2*n+i] = inf
		}
		x[3*n] = 1e30 // row 3: one huge logit
		x0 := append([]float32(nil), x...)
		for row := range rows {
			k.softmaxRow(x[row*n : (row+1)*n])
		}
		for row := range rows {
			in := x0[row*n : (row+1)*n]
			m := math.Inf(-1)
			for _, v := range in {
				m = math.Max(m, float64(v))
			}
			var sum float64
			for _, v := range in {
				sum += math.Exp(float64(v) - m)
			}
			for i, v := range in {
				want := 0.0
				if !math.IsInf(m, -1) {
					want = math.Exp(float64(v)-m) / sum
				}
				checkRel(t, fmt.Sprintf("Softmax n=%d [%d,%d]", n, row, i), x[row*n+i], want, 2e-6*want+1e-12)
			}
		}
	}
}

// TestExpSumEdges covers the inputs attention produces besides ordinary logits:
// masked (−Inf) entries must give exactly 0, huge gaps underflow to 0, NaN spreads.
func TestExpSumEdges(t *testing.T) {
	forEachKernelSet(t, func(t *testing.T, k kernels) {
		inf := float32(math.Inf(1))
		x := []float32{-inf, 0, -200, -87, -88, 88, 1, -inf, -1e30, 3, 2, 1, 0, -1, -2, -3}
		want := make([]float64, len(x))
		var sum float64
		for i, v := range x {
			want[i] = math.Exp(float64(v) - 1)
			sum += want[i]
		}
		got := k.expSum(x, 1)
		for i, w := range want {
			if w < 0x1p-126 { // below the float32 normal range: 0 (or the subnormal) is fine
				if x[i] != 0 && math.Abs(float64(x[i])-w) > 0x1p-149 {
					t.Errorf("exp(%v) = %v, want %v", x[i], x[i], w)
				}
				continue
			}
			checkRel(t, fmt.Sprintf("exp [%d]", i), x[i], w, 3e-7*w)
		}
		checkRel(t, "sum", got, sum, 1e-6*sum)
		if x[0] != 0 || x[7] != 0 {
			t.Errorf("exp(-Inf) = %v, %v, want exactly 0", x[0], x[7])
		}
		// Dense check over the whole finite range, and overflow to +Inf.
		r := newRand(t)
		dense := make([]float32, 20000)
		for i := range dense {
			dense[i] = float32(r.Float64()*(88.72+87.3) - 87.3)
		}
		dense = append(dense, 88.72, 88.7, 89, 100, inf)
		in := append([]float32(nil), dense...)
		k.expSum(dense, 0)
		for i, v := range in {
			w := math.Exp(float64(v))
			// The vector exp saturates to +Inf from 88.376 (e^x > 2.4e38), a bit
			// before float32 overflow; no kernel feeds it such values but SiLU's tail.
			if w > 2.4e38 {
				if g := float64(dense[i]); !math.IsInf(g, 1) && math.Abs(g-w) > 2.5e-7*w {
					t.Errorf("exp(%v) = %v, want +Inf or %v", v, dense[i], w)
				}
				continue
			}
			checkRel(t, fmt.Sprintf("exp(%v)", v), dense[i], w, 2.5e-7*w)
		}
		nan := []float32{1, float32(math.NaN()), 2, 3, 4, 5, 6, 7, 8}
		if s := k.expSum(nan, 0); !math.IsNaN(float64(s)) || !math.IsNaN(float64(nan[1])) {
			t.Errorf("NaN did not propagate: sum %v, x %v", s, nan)
		}
	})
}
