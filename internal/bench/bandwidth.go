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

// PeakReadBandwidth is the best of passes ReadBandwidth passes over a
// fresh buffer of mib MiB: the limit a memory-bound pass can reach, which
// other processes on a shared machine can only lower. The buffer is in
// 2 MiB pages where the system gives them, as the weights are.
func PeakReadBandwidth(pool *tensor.Pool, mib, passes int) float64 {
	buf, free := hugeFloats(mib << 20 / 4)
	defer free()
	for i := range buf {
		buf[i] = 1 // touch every page before timing
	}
	best := 0.0
	for range passes {
		bw, _ := ReadBandwidth(pool, buf)
		best = max(best, bw)
	}
	return best
}
