package tensor

import (
	"fmt"
	"math"
	"testing"
)

// TestAttend compares Attend on every kernel set with a float64 reference, on
// strided keys and values, head widths around the vector blocks, key counts
// around the four-key groups, with and without masks (one fully masked).
func TestAttend(t *testing.T) {
	forEachKernelSet(t, func(t *testing.T, ks kernels) {
		for _, hd := range []int{1, 7, 16, 32, 64, 80} {
			for _, nk := range []int{1, 3, 4, 5, 17} {
				for _, masked := range []string{"none", "some", "all"} {
					name := fmt.Sprintf("%s/hd=%d/nk=%d/mask=%s", ks.isa, hd, nk, masked)
					r := newRand(t)
					ld := hd + 5
					q := randSlice(r, hd)
					k, v := randSlice(r, nk*ld), randSlice(r, nk*ld)
					var mask []int32
					if masked != "none" {
						mask = make([]int32, nk)
						for j := range mask {
							if masked == "some" && (j%3 != 1 || nk == 1) {
								mask[j] = 1
							}
						}
					}
					scale := float32(1 / math.Sqrt(float64(hd)))
					// Reference in float64.
					p := make([]float64, nk)
					best, sum := math.Inf(-1), 0.0
					for j := range nk {
						if mask != nil && mask[j] == 0 {
							continue
						}
						var s float64
						for d := range hd {
							s += float64(q[d]) * float64(k[j*ld+d])
						}
						p[j] = s * float64(scale)
						best = math.Max(best, p[j])
					}
					for j := range nk {
						if mask != nil && mask[j] == 0 {
							p[j] = 0
							continue
						}
						p[j] = math.Exp(p[j] - best)
						sum += p[j]
					}
					want, scl := make([]float64, hd), make([]float64, hd)
					for j := range nk {
						for d := range hd {
							if sum > 0 {
								want[d] += p[j] / sum * float64(v[j*ld+d])
							}
							scl[d] += math.Abs(float64(v[j*ld+d]))
						}
					}
					out := make([]float32, hd+1)
					out[hd] = 7
					scores := make([]float32, nk)
					ks.attend(out, q, k[:(nk-1)*ld+hd], v[:(nk-1)*ld+hd], ld, nk, scale, mask, scores)
					checkTail(t, name, out[hd:], 7)
					for d := range hd {
						// Softmax's exp is within a few ulps; products sum hd and nk terms.
						tol := 1e-6*scl[d] + 1e-7*float64(hd)*scl[d]
						if masked == "all" {
							tol = 0
						}
						if g := float64(out[d]); math.IsNaN(g) || math.Abs(g-want[d]) > tol {
							t.Errorf("%s: out[%d] = %v, want %v (tol %.3g)", name, d, g, want[d], tol)
						}
					}
				}
			}
		}
	})
}
