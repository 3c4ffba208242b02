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
					gotMax, gotSum := ks.attend(out, q, k[:(nk-1)*ld+hd], v[:(nk-1)*ld+hd], ld, nk, scale, mask, scores)
					checkTail(t, name, out[hd:], 7)
					// The statistics AttendStats reports for merging split keys.
					if masked == "all" {
						if !math.IsInf(float64(gotMax), -1) || gotSum != 0 {
							t.Errorf("%s: stats (%v, %v), want (-Inf, 0)", name, gotMax, gotSum)
						}
					} else {
						if math.Abs(float64(gotMax)-best) > 1e-6*(math.Abs(best)+1) {
							t.Errorf("%s: max score %v, want %v", name, gotMax, best)
						}
						if math.Abs(float64(gotSum)-sum) > 1e-6*sum {
							t.Errorf("%s: exp sum %v, want %v", name, gotSum, sum)
						}
					}
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

// TestAttendAll compares AttendAll with Attend query by query on every kernel
// set: head widths around the strip widths, query and key counts around the
// tile sizes and past the one-panel limit, masks, and rows strided within a
// wider activation (the neighbouring columns must stay untouched).
func TestAttendAll(t *testing.T) {
	forEachKernelSet(t, func(t *testing.T, ks kernels) {
		var s AttendScratch
		for _, hd := range []int{1, 7, 8, 16, 20, 24, 32, 40, 64} {
			for _, n := range [][2]int{{1, 1}, {5, 3}, {4, 8}, {3, 9}, {6, 16}, {12, 12}, {13, 17}, {5, 24}, {20, 32}, {2, 25}, {40, 33}, {3, attendAllMax + 2}} {
				for _, masked := range []string{"none", "some", "all"} {
					nq, nk := n[0], n[1]
					name := fmt.Sprintf("%s/hd=%d/nq=%d/nk=%d/mask=%s", ks.isa, hd, nq, nk, masked)
					r := newRand(t)
					ld := hd + 9
					q := randSlice(r, nq*ld)
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
					out := make([]float32, nq*ld)
					for i := range out {
						out[i] = 7
					}
					ks.attendAll(out, q, k, v, ld, hd, nq, nk, scale, mask, &s)
					scores := make([]float32, nk)
					want := make([]float32, hd)
					for i := range nq {
						ks.attend(want, q[i*ld:i*ld+hd], k, v, ld, nk, scale, mask, scores)
						for d := range hd {
							var scl float64
							for j := range nk {
								scl += math.Abs(float64(v[j*ld+d]))
							}
							tol := 2e-6 * scl
							if g := out[i*ld+d]; math.IsNaN(float64(g)) || math.Abs(float64(g-want[d])) > tol {
								t.Errorf("%s: out[%d][%d] = %v, want %v (tol %.3g)", name, i, d, g, want[d], tol)
							}
						}
						for d := hd; d < ld && (i+1)*ld <= len(out); d++ {
							if out[i*ld+d] != 7 {
								t.Fatalf("%s: row %d column %d beyond the head written", name, i, d)
							}
						}
					}
				}
			}
		}
	})
}

// BenchmarkAttendAll times one head of bidirectional attention (queries =
// keys, head width 32 in a 384-wide activation, as in MiniLM) per kernel set
// and sequence length: the fused kernel's lengths and the matrix products'.
func BenchmarkAttendAll(b *testing.B) {
	const hd, ld = 32, 384
	for _, ks := range availableKernels() {
		for _, n := range []int{8, 12, 16, 24, 32, 64} {
			b.Run(fmt.Sprintf("%s/n=%d", ks.isa, n), func(b *testing.B) {
				r := newRand(b)
				q, k, v := randSlice(r, n*ld), randSlice(r, n*ld), randSlice(r, n*ld)
				out := make([]float32, n*ld)
				var s AttendScratch
				for b.Loop() {
					ks.attendAll(out, q, k, v, ld, hd, n, n, 0.17, nil, &s)
				}
			})
		}
	}
}
