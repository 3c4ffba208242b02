package bench

import (
	"time"

	"hfserve/internal/tensor"
)

// ReadBandwidth reads buf once on pool's workers, each worker streaming
// its own contiguous part through tensor.Dot (the engine's own SIMD
// kernel, so the rate is one the engine can reach), and returns the rate
// in bytes per second and the sum of squares (which keeps the reads from
// being optimized away, and lets tests check that every element was read).
// buf must be much bigger than the last-level cache for the rate to be the
// memory's, not the cache's.
func ReadBandwidth(pool *tensor.Pool, buf []float32) (bytesPerSec float64, sumSquares float64) {
	w := pool.Workers()
	parts := make([]float32, w*16) // one cache line per worker: no false sharing
	chunk := (len(buf) + w - 1) / w
	start := time.Now()
	pool.For(w, 1, func(lo, hi int) {
		for k := lo; k < hi; k++ {
			a, b := min(k*chunk, len(buf)), min((k+1)*chunk, len(buf))
			c := buf[a:b]
			parts[k*16] = tensor.Dot(c, c)
		}
	})
	el := time.Since(start)
	for k := range w {
		sumSquares += float64(parts[k*16])
	}
	return float64(4*len(buf)) / el.Seconds(), sumSquares
}

// probeCols is the row length of the matrix ReadBandwidthGEMV reads its
// buffer as: 4 KiB of F32 weights a row.
const probeCols = 1024

// ReadBandwidthGEMV reads buf once as the F32 weights [len(buf)/probeCols,
// probeCols] of a matrix-vector product (tensor.Linear with one input row,
// the decode's own path: the workers' streams and prefetches), and returns
// the rate in bytes per second and the sum of the product's outputs, with
// an input of ones: the sum of the elements read. Elements past the last
// whole row are not read (nor counted). The decode's kernels prefetch what
// tensor.Dot leaves to the hardware, and on a Zen 5 they read faster than
// ReadBandwidth measures, so a bound from ReadBandwidth alone would not be
// one.
func ReadBandwidthGEMV(pool *tensor.Pool, buf []float32) (bytesPerSec float64, sum float64) {
	rows := len(buf) / probeCols
	if rows == 0 {
		return 0, 0
	}
	w, err := tensor.NewMatrixF32(rows, probeCols, buf[:rows*probeCols])
	if err != nil {
		panic(err) // the shape is buf's own: cannot happen
	}
	x := make([]float32, probeCols)
	for i := range x {
		x[i] = 1
	}
	out := make([]float32, rows)
	start := time.Now()
	tensor.Linear(pool, out, x, 1, w, nil)
	el := time.Since(start)
	for _, v := range out {
		sum += float64(v)
	}
	return float64(4*rows*probeCols) / el.Seconds(), sum
}

// PeakReadBandwidth is the best of passes ReadBandwidth and passes
// ReadBandwidthGEMV passes, in turns, over a fresh buffer of mib MiB: the
// limit a memory-bound pass can reach, which other processes on a shared
// machine can only lower. The buffer is in 2 MiB pages where the system
// gives them, as the weights are.
func PeakReadBandwidth(pool *tensor.Pool, mib, passes int) float64 {
	buf, free := hugeFloats(mib << 20 / 4)
	defer free()
	for i := range buf {
		buf[i] = 1 // touch every page before timing
	}
	best := 0.0
	for range passes {
		bw, _ := ReadBandwidth(pool, buf)
		gemv, _ := ReadBandwidthGEMV(pool, buf)
		best = max(best, bw, gemv)
	}
	return best
}
