//go:build openblas && cgo

package openblas

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"hfserve/internal/tensor"
)

// shapes are the products docs/PERFORMANCE.md reports, as M×K×N (M activation
// rows, K inputs, N outputs; weights [N, K]).
var shapes = []struct{ m, k, n int }{
	{512, 512, 512},
	{1024, 1024, 1024},
	{32, 768, 3072},
	{128, 768, 768},
	{1, 896, 4864},
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.Float64()*2 - 1)
	}
	return s
}

// TestSgemmMatchesLinear checks the yardstick computes what tensor.Linear does.
func TestSgemmMatchesLinear(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	m, n, k := 37, 70, 129
	x, wf := randSlice(r, m*k), randSlice(r, n*k)
	w, err := tensor.NewMatrixF32(n, k, wf)
	if err != nil {
		t.Fatal(err)
	}
	got, want := make([]float32, m*n), make([]float32, m*n)
	Sgemm(got, x, wf, m, n, k, true)
	tensor.Linear(nil, want, x, m, w, nil)
	for i := range got {
		if math.Abs(float64(got[i]-want[i])) > 1e-4 {
			t.Fatalf("[%d] = %v, tensor.Linear gives %v", i, got[i], want[i])
		}
	}
}

// BenchmarkSideBySide runs tensor.Linear and then cblas_sgemm on each shape and
// the same data, one right after the other in the same process. On a shared
// machine the absolute rates drift; read the ratio of adjacent pairs, over
// several runs (see docs/PERFORMANCE.md). The two are not interleaved call by
// call because OpenBLAS's threads spin for a while after each call and would
// steal the cores from the next tensor.Linear.
func BenchmarkSideBySide(b *testing.B) {
	p := tensor.NewPool(0)
	defer p.Close()
	for _, s := range shapes {
		r := rand.New(rand.NewPCG(3, 4))
		x, wf := randSlice(r, s.m*s.k), randSlice(r, s.n*s.k)
		w, err := tensor.NewMatrixF32(s.n, s.k, wf)
		if err != nil {
			b.Fatal(err)
		}
		dst := make([]float32, s.m*s.n)
		name := fmt.Sprintf("%dx%dx%d", s.m, s.k, s.n)
		b.Run(name+"/tensor", func(b *testing.B) {
			start := time.Now()
			for b.Loop() {
				tensor.Linear(p, dst, x, s.m, w, nil)
			}
			gflops(b, s.m, s.k, s.n, time.Since(start))
		})
		b.Run(name+"/openblas", func(b *testing.B) {
			start := time.Now()
			for b.Loop() {
				Sgemm(dst, x, wf, s.m, s.n, s.k, true)
			}
			gflops(b, s.m, s.k, s.n, time.Since(start))
		})
	}
}

func gflops(b *testing.B, m, k, n int, d time.Duration) {
	b.ReportMetric(2*float64(m)*float64(k)*float64(n)*float64(b.N)/d.Seconds()/1e9, "GFLOP/s")
}
