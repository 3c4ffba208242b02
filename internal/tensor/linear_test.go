package tensor

import (
	"fmt"
	"testing"
)

func TestLinear(t *testing.T) {
	type shape struct{ m, n, k int }
	var shapes []shape
	for _, m := range []int{1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 13, 16, 17, 23, 48, 65} {
		for _, nk := range [][2]int{{1, 1}, {3, 5}, {17, 63}, {65, 33}, {31, 257}, {257, 17}, {48, 300}} {
			shapes = append(shapes, shape{m, nk[0], nk[1]})
		}
	}
	forEachKernelSet(t, func(t *testing.T, ks kernels) {
		for _, p := range testPools(t) {
			for _, dt := range []DType{F32, BF16, F16} {
				for _, s := range shapes {
					name := fmt.Sprintf("%s/%s/%dx%dx%d", poolName(p), dt, s.m, s.n, s.k)
					r := newRand(t)
					w, wide := randWeights(t, r, s.n, s.k, dt)
					x := randSlice(r, s.m*s.k)
					var bias []float32
					if s.n%2 == 1 {
						bias = randSlice(r, s.n)
					}
					want, scale := refProduct(s.m, s.n, s.k, x, func(p, j int) float32 { return wide[j*s.k+p] })
					for i := range want {
						if bias != nil {
							want[i] += float64(bias[i%s.n])
							scale[i] += abs64(bias[i%s.n])
						}
					}
					dst := make([]float32, s.m*s.n+3) // longer than needed: the tail must stay untouched
					for i := range dst {
						dst[i] = 7
					}
					ks.linear(p, dst, x, s.m, w, bias)
					checkClose(t, name, dst, want, scale, s.k)
					checkTail(t, name, dst[s.m*s.n:], 7)
				}
			}
		}
	})
}

// TestLinearBlocking covers shapes past the packing panels (depth > gemmKC,
// width > gemmNC) where several panels accumulate into C.
func TestLinearBlocking(t *testing.T) {
	if testing.Short() {
		t.Skip("large shapes")
	}
	forEachKernelSet(t, func(t *testing.T, ks kernels) {
		p := NewPool(2)
		defer p.Close()
		// {13, 40, 1024}: a 4 KiB row stride, where A is packed even for the
		// direct-A kernel. {5,8,13}×40×2100: the in-place BF16 kernels over
		// several depth passes (gemmDotKC), with overlapping tiles and a ragged tail.
		for _, s := range [][3]int{{9, gemmNC + 19, 3}, {33, 40, 2*gemmKC + 5}, {gemmMC*2 + 7, 70, gemmKC + 1}, {13, 40, 1024}, {300, 20, 1024}, {5, 40, 2100}, {8, 40, 2100}, {13, 40, 2100}} {
			r := newRand(t)
			w, wide := randWeights(t, r, s[1], s[2], BF16)
			x := randSlice(r, s[0]*s[2])
			want, scale := refProduct(s[0], s[1], s[2], x, func(p, j int) float32 { return wide[j*s[2]+p] })
			dst := make([]float32, s[0]*s[1])
			ks.linear(p, dst, x, s[0], w, nil)
			checkClose(t, fmt.Sprint(s), dst, want, scale, s[2])
		}
	})
}

func TestMatMul(t *testing.T) {
	forEachKernelSet(t, func(t *testing.T, ks kernels) {
		for _, p := range testPools(t) {
			for _, m := range []int{1, 3, 4, 5, 17} {
				for _, n := range []int{1, 7, 65, 300} {
					for _, k := range []int{1, 16, 63} {
						name := fmt.Sprintf("%s/%dx%dx%d", poolName(p), m, n, k)
						r := newRand(t)
						a, b := randSlice(r, m*k), randSlice(r, k*n)
						want, scale := refProduct(m, n, k, a, func(p, j int) float32 { return b[p*n+j] })
						c := randSlice(r, m*n) // garbage: MatMul must overwrite
						ks.matMul(p, c, a, b, m, n, k)
						checkClose(t, "MatMul/"+name, c, want, scale, k)

						bt := randSlice(r, n*k)
						want, scale = refProduct(m, n, k, a, func(p, j int) float32 { return bt[j*k+p] })
						ks.matMulT(p, c, a, bt, m, n, k)
						checkClose(t, "MatMulT/"+name, c, want, scale, k)
					}
				}
			}
		}
	})
}

// TestKernelSetsAgree compares every kernel set with the portable one on the same
// inputs (they may differ only by summation order).
func TestKernelSetsAgree(t *testing.T) {
	ref := portableKernels()
	p := NewPool(2)
	defer p.Close()
	for _, ks := range availableKernels() {
		for _, s := range [][3]int{{1, 896, 4864}, {3, 100, 1000}, {40, 200, 300}} {
			r := newRand(t)
			w, wide := randWeights(t, r, s[1], s[2], BF16)
			x := randSlice(r, s[0]*s[2])
			got, want := make([]float32, s[0]*s[1]), make([]float32, s[0]*s[1])
			ks.linear(p, got, x, s[0], w, nil)
			ref.linear(nil, want, x, s[0], w, nil)
			_, scale := refProduct(s[0], s[1], s[2], x, func(p, j int) float32 { return wide[j*s[2]+p] })
			w64 := make([]float64, len(want))
			for i, v := range want {
				w64[i] = float64(v)
				scale[i] *= 2 // both sides carry rounding error
			}
			checkClose(t, ks.isa.String()+fmt.Sprint(s), got, w64, scale, s[2])
		}
	}
}

func TestLinearShapePanics(t *testing.T) {
	w, _ := NewMatrixF32(2, 3, make([]float32, 6))
	cases := map[string]func(){
		"short x":    func() { Linear(nil, make([]float32, 4), make([]float32, 5), 2, w, nil) },
		"short dst":  func() { Linear(nil, make([]float32, 3), make([]float32, 6), 2, w, nil) },
		"short bias": func() { Linear(nil, make([]float32, 4), make([]float32, 6), 2, w, []float32{1}) },
		"nil w":      func() { Linear(nil, make([]float32, 4), make([]float32, 6), 2, nil, nil) },
		"MatMul b":   func() { MatMul(nil, make([]float32, 4), make([]float32, 6), make([]float32, 5), 2, 2, 3) },
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		})
	}
}

func checkTail(t *testing.T, what string, tail []float32, v float32) {
	t.Helper()
	for i, x := range tail {
		if x != v {
			t.Errorf("%s: wrote past the output at +%d", what, i)
			return
		}
	}
}

func abs64(v float32) float64 {
	if v < 0 {
		return -float64(v)
	}
	return float64(v)
}

// TestProductStrategies runs both packed-product strategies (shared B panel and
// per-worker streaming) on every shape, whichever Linear would pick.
func TestProductStrategies(t *testing.T) {
	shapes := [][3]int{{1, 16, 5}, {2, 33, 8}, {3, 16, 17}, {4, 48, 9}, {8, 20, 31}, {9, 64, 2}, {10, 17, 1}, {5, 17, 3}, {13, 65, 257}, {31, 33, gemmKC + 9}, {7, gemmNC + 5, 9}, {gemmMC + 13, 40, 70}}
	forEachKernelSet(t, func(t *testing.T, ks kernels) {
		for _, p := range testPools(t) {
			for _, s := range shapes {
				m, n, kd := s[0], s[1], s[2]
				r := newRand(t)
				w, wide := randWeights(t, r, n, kd, F16)
				x := randSlice(r, m*kd)
				bias := randSlice(r, n)
				want, scale := refProduct(m, n, kd, x, func(p, j int) float32 { return wide[j*kd+p] })
				for i := range want {
					want[i] += float64(bias[i%n])
					scale[i] += abs64(bias[i%n])
				}
				b := bSource{trans: true, dtype: w.DType, u16: w.U16, ld: kd}
				for name, f := range map[string]func(p *Pool, c []float32, m, n, kd int, a []float32, b *bSource, bias []float32){
					"gemm": ks.gemm, "gemmStream": ks.gemmStream,
				} {
					c := randSlice(r, m*n)
					f(p, c, m, n, kd, x, &b, bias)
					checkClose(t, fmt.Sprintf("%s/%s/%v", name, poolName(p), s), c, want, scale, kd)
				}
			}
		}
	})
}

// TestMicroDirect compares the direct-A micro-kernel with the packed one on a
// full tile: accumulating, and setting with and without bias, at depths with
// and without a tail after its four-step unrolling.
func TestMicroDirect(t *testing.T) {
	for _, ks := range availableKernels() {
		if !ks.directA() {
			continue
		}
		mr, nr := ks.mr, ks.nr
		for _, kc := range []int{1, 3, 4, 7, gemmKC} {
			r := newRand(t)
			lda, ldc := kc+3, nr+5
			a := randSlice(r, mr*lda)
			b := randSlice(r, kc*nr)
			bias := randSlice(r, nr)
			packed := make([]float32, kc*mr)
			ks.packA(packed, a, lda, 0, kc, 0, mr)
			for _, mode := range []string{"accumulate", "set", "set+bias"} {
				c0 := randSlice(r, mr*ldc)
				want := append([]float32(nil), c0...)
				got := append([]float32(nil), c0...)
				var bs []float32
				if mode != "accumulate" {
					for i := range mr {
						for j := range nr {
							want[i*ldc+j] = 0
							if mode == "set+bias" {
								want[i*ldc+j] = bias[j]
							}
						}
					}
					if mode == "set+bias" {
						bs = bias
					}
				}
				ks.micro(kc, packed, b, want, ldc)
				ks.microDirect(kc, a, lda, b, got, ldc, bs, mode != "accumulate")
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("%s kc=%d %s: c[%d] = %v, packed kernel gives %v", ks.isa, kc, mode, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// TestLinearRowInvariant checks LinearRowInvariant's promise for every kernel
// set and weight dtype: the first rows' results are bit for bit the same
// whatever the row count (1 to 600 rows run every strategy Linear has), and
// Linear itself, which makes no such promise, agrees within rounding.
func TestLinearRowInvariant(t *testing.T) {
	p := NewPool(2)
	defer p.Close()
	for _, ks := range availableKernels() {
		for _, dt := range []DType{F32, BF16, F16} {
			for _, s := range [][2]int{{40, 37}, {384, 384}, {200, 1536}} {
				n, kd := s[0], s[1]
				r := newRand(t)
				w, _ := randWeights(t, r, n, kd, dt)
				x := randSlice(r, 600*kd)
				bias := randSlice(r, n)
				// Each of the first rows alone: every row of a batch (up to
				// these) must match its own, not only the first.
				const checked = 40
				want := make([]float32, checked*n)
				for i := range checked {
					ks.linearRowInvariant(p, want[i*n:(i+1)*n], x[i*kd:(i+1)*kd], 1, w, bias)
				}
				for _, rows := range []int{2, 3, 4, 5, 6, 7, 8, 13, 16, 24, 25, 31, 64, 256, 257, 600} {
					got := make([]float32, rows*n)
					ks.linearRowInvariant(p, got, x, rows, w, bias)
					for i := range min(rows, checked) {
						for j := range n {
							if g, w := got[i*n+j], want[i*n+j]; g != w {
								t.Fatalf("%s %s %dx%d: row %d column %d is %v with %d rows, %v alone", ks.isa, dt, n, kd, i, j, g, rows, w)
							}
						}
					}
					ks.linear(p, got, x, rows, w, bias)
					for j := range n {
						if d := abs64(got[j] - want[j]); d > 1e-4*(1+abs64(want[j])) {
							t.Fatalf("%s %s %dx%d: Linear row 0 column %d is %v with %d rows, LinearRowInvariant %v", ks.isa, dt, n, kd, j, got[j], rows, want[j])
						}
					}
				}
			}
		}
	}
}
