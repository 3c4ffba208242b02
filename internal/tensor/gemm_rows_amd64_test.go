//go:build amd64 && !purego

package tensor

import (
	"fmt"
	"slices"
	"testing"
)

// TestGemmRowsMatchesPacked checks gemmRows against the packed products of
// its kernel set bit for bit, for every set this CPU runs (AVX2, AVX-512):
// F32 and BF16 weights, heights 1 to 32 (one and two groups of 16, partial
// groups), widths that are and are not multiples of the tiles (4 and 8 BF16
// outputs, 6 F32), depths of one and several panels, odd and even, with and
// without bias.
func TestGemmRowsMatchesPacked(t *testing.T) {
	ran := false
	for _, k := range availableKernels() {
		if k.isa != isaAVX2 && k.isa != isaAVX512 {
			continue
		}
		ran = true
		t.Run(k.isa.String(), func(t *testing.T) { testGemmRowsMatchesPacked(t, k) })
	}
	if !ran {
		t.Skip("this CPU has no AVX2")
	}
}

func testGemmRowsMatchesPacked(t *testing.T, k kernels) {
	p := NewPool(2)
	defer p.Close()
	r := newRand(t)
	for _, c := range []struct {
		dt DType
		n  int
	}{{F32, 6}, {F32, 7}, {F32, 12}, {F32, 13}, {F32, 29}, {F32, 40}, {BF16, 4}, {BF16, 5}, {BF16, 8}, {BF16, 11}, {BF16, 19}, {BF16, 40}} {
		n := c.n
		for _, kd := range []int{1, 2, 5, 384, 385, 1000} {
			w, _ := randWeights(t, r, n, kd, c.dt)
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
						t.Fatalf("%s %dx%dx%d: gemmRows declined", c.dt, m, kd, n)
					}
					k.product(p, want, m, n, kd, x, &op.b, bs)
					if m == 17 && kd == 385 { // and serially, without a pool
						serial := make([]float32, m*n)
						k.gemmRows(nil, serial, m, n, kd, x, &op.b, bs)
						if !slices.Equal(serial, got) {
							t.Fatalf("%s %dx%dx%d: gemmRows without a pool differs", c.dt, m, kd, n)
						}
					}
					for i := range got {
						if got[i] != want[i] {
							t.Fatalf("%s %dx%dx%d (bias %v): element %d is %v, the packed product gives %v", c.dt, m, kd, n, bs != nil, i, got[i], want[i])
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
		t.Error("gemmRows took 5 F32 outputs")
	}
	if k.gemmRows(p, make([]float32, 3), 1, 3, 8, make([]float32, 8), &bSource{trans: true, dtype: BF16, u16: make([]uint16, 24), ld: 8}, nil) {
		t.Error("gemmRows took 3 BF16 outputs")
	}
}

// BenchmarkGemmRows compares gemmRows with the packed product on the
// products of a lone short encoder input and of batched F32 decode.
func BenchmarkGemmRows(b *testing.B) {
	p := NewPool(0)
	defer p.Close()
	k := activeKernels()
	for _, s := range []struct {
		dt      DType
		m, k, n int
	}{{F32, 8, 384, 384}, {F32, 8, 384, 1536}, {F32, 8, 1536, 384}, {F32, 16, 384, 1536}, {F32, 32, 384, 1536}, {F32, 16, 896, 4864},
		{BF16, 16, 896, 4864}, {BF16, 16, 4864, 896}, {BF16, 16, 896, 32768}, {BF16, 8, 896, 4864}} {
		r := newRand(b)
		w, _ := randWeights(b, r, s.n, s.k, s.dt)
		x := randSlice(r, s.m*s.k)
		dst := make([]float32, s.m*s.n)
		op := linearOp("bench", dst, x, s.m, w, nil)
		for _, path := range []string{"rows", "dot", "packed"} {
			b.Run(fmt.Sprintf("%s/%s/%dx%dx%d", path, s.dt, s.m, s.k, s.n), func(b *testing.B) {
				if path == "dot" && !k.gemmDot(p, dst, s.m, s.n, s.k, x, &op.b, nil) {
					b.Skip("no in-place dot kernel")
				}
				if path == "rows" && !k.gemmRows(p, dst, s.m, s.n, s.k, x, &op.b, nil) {
					b.Skip("no gemmRows kernel")
				}
				for b.Loop() {
					switch path {
					case "rows":
						k.gemmRows(p, dst, s.m, s.n, s.k, x, &op.b, nil)
					case "dot":
						k.gemmDot(p, dst, s.m, s.n, s.k, x, &op.b, nil)
					default:
						k.product(p, dst, s.m, s.n, s.k, x, &op.b, nil)
					}
				}
				reportGFLOPS(b, s.m, s.k, s.n, b.Elapsed())
			})
		}
	}
}
