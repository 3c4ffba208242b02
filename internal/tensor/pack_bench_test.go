package tensor

import "testing"

// BenchmarkPackB measures packing the transposed F32 weights of one
// MiniLM-sized product (1536×384, [out, in]) into the micro-kernel's strips,
// one thread, cycling through enough matrices (96 MiB) that the weights come
// from memory as in a forward pass. GB/s counts the weight bytes read.
func BenchmarkPackB(b *testing.B) {
	const n, kd, copies = 1536, 384, 40
	r := newRand(b)
	w := randSlice(r, n*kd*copies)
	b.Run("copy", func(b *testing.B) { // the same bytes read and written, no transposing
		dst := make([]float32, n*kd)
		i := 0
		for b.Loop() {
			copy(dst, w[i*n*kd:(i+1)*n*kd])
			i = (i + 1) % copies
		}
		b.ReportMetric(float64(n*kd*4)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
	})
	for _, k := range availableKernels() {
		b.Run(k.isa.String(), func(b *testing.B) {
			nr := k.nr
			dst := make([]float32, (n+nr-1)/nr*nr*kd)
			i := 0
			for b.Loop() {
				src := &bSource{trans: true, dtype: F32, f32: w[i*n*kd : (i+1)*n*kd], ld: kd}
				for j := 0; j < n; j += nr {
					k.packB(dst[j*kd:], src, 0, kd, j, min(nr, n-j))
				}
				i = (i + 1) % copies
			}
			b.ReportMetric(float64(n*kd*4)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}
