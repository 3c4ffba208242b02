//go:build amd64 && !purego

package tensor

import (
	"fmt"
	"testing"
)

// TestGemmRowsMatchesPacked checks gemmRows against the packed products bit
// for bit: heights 1 to 32 (one and two groups of 16, partial groups), widths
// that are and are not multiples of 6, depths of one and several panels, with
// and without bias.
func TestGemmRowsMatchesPacked(t *testing.T) {
	var k kernels
	for _, ks := range availableKernels() {
		if ks.isa == isaAVX2 {
			k = ks
		}
	}
	if k.isa != isaAVX2 {
		t.Skip("this CPU has no AVX2")
	}
	p := NewPool(2)
	defer p.Close()
	r := newRand(t)
	for _, n := range []int{6, 7, 13, 40} {
		for _, kd := range []int{1, 5, 384, 385, 1000} {
			w, _ := randWeights(t, r, n, kd, F32)
			op := linearOp("test", make([]float32, n), make([]float32, kd), 1, w, nil)
			bias := randSlice(r, n)
			for _, m := range []int{1, 2, 5, 15, 16, 17, 31, 32} {
				x := randSlice(r, m*kd)
				for _, bs := range [][]float32{nil, bias} {
					got, want := make([]float32, m*n), make([]float32, m*n)
					for i := range got {
						got[i] = 7 // every output must be written
					}
					if !k.gemmRows(p, got, m, n, kd, x, &op.b, bs) {
						t.Fatalf("%dx%dx%d: gemmRows declined", m, kd, n)
					}
					k.product(p, want, m, n, kd, x, &op.b, bs)
					for i := range got {
						if got[i] != want[i] {
							t.Fatalf("%dx%dx%d (bias %v): element %d is %v, the packed product gives %v", m, kd, n, bs != nil, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
	if k.gemmRows(p, make([]float32, 33*8), 33, 8, 8, make([]float32, 33*8), &bSource{trans: true, dtype: F32, f32: make([]float32, 64), ld: 8}, nil) {
		t.Error("gemmRows took 33 rows")
	}
	if k.gemmRows(p, make([]float32, 5), 1, 5, 8, make([]float32, 8), &bSource{trans: true, dtype: F32, f32: make([]float32, 40), ld: 8}, nil) {
		t.Error("gemmRows took 5 outputs")
	}
}

// BenchmarkGemmRows compares gemmRows with the packed product on the
// products of a lone short encoder input and of batched F32 decode.
func BenchmarkGemmRows(b *testing.B) {
	p := NewPool(0)
	defer p.Close()
	k := activeKernels()
	for _, s := range []struct{ m, k, n int }{{8, 384, 384}, {8, 384, 1536}, {8, 1536, 384}, {16, 384, 1536}, {32, 384, 1536}, {16, 896, 4864}} {
		r := newRand(b)
		w, _ := randWeights(b, r, s.n, s.k, F32)
		x := randSlice(r, s.m*s.k)
		dst := make([]float32, s.m*s.n)
		op := linearOp("bench", dst, x, s.m, w, nil)
		for _, path := range []string{"rows", "packed"} {
			b.Run(fmt.Sprintf("%s/%dx%dx%d", path, s.m, s.k, s.n), func(b *testing.B) {
				if path == "rows" && !k.gemmRows(p, dst, s.m, s.n, s.k, x, &op.b, nil) {
					b.Skip("no gemmRows kernel")
				}
				for b.Loop() {
					if path == "rows" {
						k.gemmRows(p, dst, s.m, s.n, s.k, x, &op.b, nil)
					} else {
						k.product(p, dst, s.m, s.n, s.k, x, &op.b, nil)
					}
				}
				reportGFLOPS(b, s.m, s.k, s.n, b.Elapsed())
			})
		}
	}
}
