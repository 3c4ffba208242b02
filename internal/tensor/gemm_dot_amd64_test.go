//go:build amd64 && !purego

package tensor

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// TestDotTiles checks that the tiles of every height the in-place kernels take
// (dotTiles for the AVX2 kernels, dotTilesWide for the AVX-512 ones) write
// each row exactly once, stay inside the matrix (and the zero rows past it
// the wide ones may read) and use only the kernels' heights.
func TestDotTiles(t *testing.T) {
	for _, c := range []struct {
		name    string
		tiles   func(int) []dotTile
		heights []int
		pad     int
	}{{"dotTiles", dotTiles, []int{4, 6}, 0}, {"dotTilesWide", dotTilesWide, []int{4, 6, 8}, dotPad}} {
		for m := 4; m <= gemmDotMaxRows; m++ {
			written := make([]int, m)
			for _, tile := range c.tiles(m) {
				if !slices.Contains(c.heights, tile.rows) {
					t.Errorf("%s(%d): tile %+v has no kernel", c.name, m, tile)
				}
				if tile.start < 0 || tile.skip < 0 || tile.pad < 0 || tile.pad > c.pad || tile.skip+tile.pad >= tile.rows ||
					tile.start+tile.rows-tile.pad > m || tile.start+tile.rows > m+c.pad || (tile.pad > 0 && tile.start+tile.rows-tile.pad != m) {
					t.Errorf("%s(%d): tile %+v leaves the matrix", c.name, m, tile)
					continue
				}
				for r := tile.start; r < tile.start+tile.rows-tile.pad; r++ {
					if r >= tile.start+tile.skip {
						written[r]++
					} else if written[r] == 0 {
						t.Errorf("%s(%d): tile %+v skips row %d no earlier tile wrote", c.name, m, tile, r)
					}
				}
			}
			for r, n := range written {
				if n != 1 {
					t.Errorf("%s(%d): row %d written %d times, want once", c.name, m, r, n)
				}
			}
		}
	}
}

// BenchmarkGemmDot compares the in-place BF16 kernels with the packed product
// on decode-batch shapes (M sequences × K inputs × N outputs), side by side.
func BenchmarkGemmDot(b *testing.B) {
	p := NewPool(0)
	defer p.Close()
	k := activeKernels()
	for _, s := range []struct{ m, k, n int }{{16, 896, 4864}, {16, 4864, 896}, {16, 896, 32768}, {8, 896, 4864}, {32, 896, 4864}, {48, 896, 4864}} {
		r := newRand(b)
		w, _ := randWeights(b, r, s.n, s.k, BF16)
		x := randSlice(r, s.m*s.k)
		dst := make([]float32, s.m*s.n)
		op := linearOp("bench", dst, x, s.m, w, nil)
		for _, path := range []string{"dot", "packed"} {
			b.Run(fmt.Sprintf("%s/%dx%dx%d", path, s.m, s.k, s.n), func(b *testing.B) {
				if path == "dot" && !k.gemmDot(p, dst, s.m, s.n, s.k, x, &op.b, nil) {
					b.Skipf("no in-place kernel for %d rows (the packed product runs them)", s.m)
				}
				start := time.Now()
				for b.Loop() {
					if path == "dot" {
						k.gemmDot(p, dst, s.m, s.n, s.k, x, &op.b, nil)
					} else {
						k.product(p, dst, s.m, s.n, s.k, x, &op.b, nil)
					}
				}
				reportGFLOPS(b, s.m, s.k, s.n, time.Since(start))
			})
		}
	}
}
