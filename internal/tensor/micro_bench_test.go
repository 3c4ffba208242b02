package tensor

import (
	"testing"
	"time"
)

// BenchmarkMicroKernel measures the micro-kernel alone on cache-resident packed
// strips: the ceiling the packed products can reach on one core.
func BenchmarkMicroKernel(b *testing.B) {
	for _, k := range availableKernels() {
		b.Run(k.isa.String(), func(b *testing.B) {
			const kc = 256 // A and B strips in L1
			r := newRand(b)
			a, bs := randSlice(r, kc*k.mr), randSlice(r, kc*k.nr)
			c := make([]float32, k.mr*k.nr)
			start := time.Now()
			for b.Loop() {
				k.micro(kc, a, bs, c, k.nr)
			}
			b.ReportMetric(2*float64(k.mr*k.nr*kc)*float64(b.N)/time.Since(start).Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkDotRows measures the matrix-vector inner loop on cache-resident
// weights (64 rows of 896), per weight dtype: the compute ceiling of decode.
func BenchmarkDotRows(b *testing.B) {
	const rows, kd = 64, 896
	for _, k := range availableKernels() {
		for _, dt := range []DType{F32, BF16, F16} {
			b.Run(k.isa.String()+"/"+dt.String(), func(b *testing.B) {
				r := newRand(b)
				w, _ := randWeights(b, r, rows, kd, dt)
				x := randSlice(r, kd)
				out := make([]float32, rows)
				src := bSource{trans: true, dtype: dt, f32: w.F32, u16: w.U16, ld: kd}
				start := time.Now()
				in := gemvX{x: x}
				if k.splitsX(dt) {
					skip := bf16Skip(&src, 0)
					in.split = make([]float32, (skip+kd+15)/16*16)
					splitPadded(in.split, x, skip)
				}
				for b.Loop() {
					k.dotRows(out, in, &src, 0)
				}
				b.ReportMetric(float64(rows*kd)*float64(b.N)/time.Since(start).Seconds()/1e9, "Gweights/s")
			})
		}
	}
}
