//go:build amd64 && !purego

package tensor

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"testing"
	"time"
)

// BenchmarkKernelSets compares the vector kernel sets on one machine, the
// AVX-512 set's packed product at several panel depths: the data behind the
// AVX-512 set's choices (avx512MinRows, its kc, the BF16 matrix-vector
// kernel). Sub-benchmarks: <dtype>/<M×K×N>/<variant>, where variant is avx2
// (the AVX2 set's Linear), avx512 (the AVX-512 set's Linear as it dispatches)
// or avx512-product-kcN (its packed product alone at panel depth N). It skips
// on a CPU without AVX-512.
func BenchmarkKernelSets(b *testing.B) {
	var have512 bool
	for _, k := range availableKernels() {
		have512 = have512 || k.isa == isaAVX512
	}
	if !have512 {
		b.Skip("no AVX-512 on this CPU")
	}
	p := NewPool(0)
	defer p.Close()
	shapes := []struct{ m, k, n int }{
		{8, 896, 4864}, {16, 896, 4864}, {32, 896, 4864}, {32, 768, 3072}, {64, 896, 4864},
		{128, 768, 768}, {128, 896, 4864}, {384, 384, 1536}, {512, 896, 4864}, {1024, 1024, 1024},
	}
	for _, dt := range []DType{F32, BF16} {
		for _, s := range shapes {
			r := newRand(b)
			w, _ := randWeights(b, r, s.n, s.k, dt)
			x := randSlice(r, s.m*s.k)
			dst := make([]float32, s.m*s.n)
			run := func(name string, f func()) {
				b.Run(fmt.Sprintf("%s/%dx%dx%d/%s", dt, s.m, s.k, s.n, name), func(b *testing.B) {
					start := time.Now()
					for b.Loop() {
						f()
					}
					reportGFLOPS(b, s.m, s.k, s.n, time.Since(start))
				})
			}
			run("avx2", func() { avx2Kernels().linear(p, dst, x, s.m, w, nil) })
			run("avx512", func() { avx512Kernels().linear(p, dst, x, s.m, w, nil) })
			for _, kc := range []int{192, 384} {
				k := avx512Kernels()
				k.kc = kc
				op := linearOp("Linear", dst, x, s.m, w, nil)
				run(fmt.Sprintf("avx512-product-kc%d", kc), func() { k.product(p, dst, s.m, w.Rows, w.Cols, x, &op.b, nil) })
			}
		}
	}
	// Matrix-vector products on a weight far larger than the caches.
	const n, kd = 65536, 896
	for _, dt := range []DType{F32, BF16, F16} {
		r := newRand(b)
		w, _ := randWeights(b, r, n, kd, dt)
		x := randSlice(r, kd)
		dst := make([]float32, n)
		for _, k := range []kernels{avx2Kernels(), avx512Kernels()} {
			b.Run(fmt.Sprintf("gemv/%s/%s", dt, k.isa), func(b *testing.B) {
				b.SetBytes(w.Bytes())
				for b.Loop() {
					k.linear(p, dst, x, 1, w, nil)
				}
			})
		}
	}
}

// TestAVX512Delegation pins which set runs what for the AVX-512 set (it runs
// on any amd64 CPU: it only asks, it runs no AVX-512 code).
func TestAVX512Delegation(t *testing.T) {
	k512, k2 := avx512Kernels(), avx2Kernels()
	few := k512 // matrix-vector products (rows ≤ gemvMaxRows): dotQuads picks per dtype
	for _, tc := range []struct {
		rows int
		want kernels
	}{{1, few}, {gemvMaxRows, few}, {gemvMaxRows + 1, k2}, {gemmRowsMaxRows, k2}, {gemmRowsMaxRows + 1, k512}, {4096, k512}} {
		if got := k512.forLinear(tc.rows, F16); got != tc.want {
			t.Errorf("forLinear(%d, F16) = %v, want %v", tc.rows, got.isa, tc.want.isa)
		}
		// F32 products stay: gemmRows' 512-bit kernel up to
		// gemmRowsMaxRows, the packed product above.
		if got := k512.forLinear(tc.rows, F32); got != k512 {
			t.Errorf("forLinear(%d, F32) = %v, want avx512", tc.rows, got.isa)
		}
		if got := k2.forLinear(tc.rows, F32); got != k2 {
			t.Errorf("avx2 forLinear(%d) = %v", tc.rows, got.isa)
		}
	}
	// BF16 products stay in the AVX-512 set: its dot-product kernels up to
	// gemmDotMaxRows rows, gemmRows' 512-bit kernel for whole groups of 16
	// and above.
	for _, rows := range []int{2, 5, 8, 14, 16, 20, 24, 25, 32, 64} {
		if got := k512.forLinear(rows, BF16); got != k512 {
			t.Errorf("forLinear(%d, BF16) = %v, want avx512", rows, got.isa)
		}
		if got, want := k512.rowsFirst(BF16, rows), rows%16 == 0 || rows > gemmDotMaxRows; got != want {
			t.Errorf("avx512 rowsFirst(BF16, %d) = %v, want %v", rows, got, want)
		}
	}
	for rows, want := range map[int]bool{5: false, 12: false, 13: true, 16: true, 20: false, 29: true, 32: true} {
		if got := k2.rowsFirst(BF16, rows); got != want {
			t.Errorf("avx2 rowsFirst(BF16, %d) = %v, want %v", rows, got, want)
		}
	}
	if k512.forRowInvariant() != k512 || k2.forRowInvariant() != k2 {
		t.Error("row-invariant products must run in the set they are asked of")
	}
	if (k512.vec() == k512) != vec512 || k2.vec() != k2 {
		t.Error("the AVX-512 set's vector kernels are the AVX2 ones unless built with avx512vec")
	}
	if k512.splitsX(BF16) == vec512 || k512.splitsX(F32) || !k2.splitsX(BF16) {
		t.Error("x is split exactly for the AVX2 BF16 matrix-vector kernel")
	}
}

// threadCounts is 1, 2, 4, … up to the CPUs this process may use, and that
// count itself.
func threadCounts() []int {
	n := runtime.GOMAXPROCS(0)
	var ts []int
	for t := 1; t < n; t *= 2 {
		ts = append(ts, t)
	}
	return append(ts, n)
}

// BenchmarkMicroKernelCores runs each set's micro-kernel on cache-resident
// strips on t cores at once (one locked goroutine each) and reports the
// aggregate GFLOP/s. Against t × the one-core rate it shows what the cores
// share: clock limits under wide vector load, or logical CPUs that are
// hyperthreads of fewer physical cores (then the aggregate stops growing at
// the physical count).
func BenchmarkMicroKernelCores(b *testing.B) {
	for _, k := range availableKernels()[1:] {
		for _, t := range threadCounts() {
			b.Run(fmt.Sprintf("%s/threads%d", k.isa, t), func(b *testing.B) {
				const kc, reps = 256, 2000
				r := newRand(b)
				a, bs := randSlice(r, kc*k.mr), randSlice(r, kc*k.nr)
				start := time.Now()
				for b.Loop() {
					var wg sync.WaitGroup
					for range t {
						wg.Add(1)
						go func() {
							defer wg.Done()
							runtime.LockOSThread()
							defer runtime.UnlockOSThread()
							c := make([]float32, k.mr*k.nr)
							for range reps {
								k.micro(kc, a, bs, c, k.nr)
							}
						}()
					}
					wg.Wait()
				}
				flops := 2 * float64(k.mr*k.nr*kc) * reps * float64(t) * float64(b.N)
				b.ReportMetric(flops/time.Since(start).Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkLinearScaling runs Linear with each vector set on pools of 1, 2,
// 4, … workers: how the packed products scale with cores (per-core rate =
// GFLOP/s ÷ threads), next to BenchmarkMicroKernelCores's ceiling.
func BenchmarkLinearScaling(b *testing.B) {
	shapes := []struct{ m, k, n int }{{512, 896, 4864}, {1024, 1024, 1024}}
	for _, k := range availableKernels()[1:] {
		for _, s := range shapes {
			r := newRand(b)
			w, _ := randWeights(b, r, s.n, s.k, F32)
			x := randSlice(r, s.m*s.k)
			dst := make([]float32, s.m*s.n)
			for _, t := range threadCounts() {
				b.Run(fmt.Sprintf("%s/%dx%dx%d/threads%d", k.isa, s.m, s.k, s.n, t), func(b *testing.B) {
					p := NewPool(t)
					defer p.Close()
					start := time.Now()
					for b.Loop() {
						k.linear(p, dst, x, s.m, w, nil)
					}
					reportGFLOPS(b, s.m, s.k, s.n, time.Since(start))
				})
			}
		}
	}
}

// TestGELUSetsAgree checks that every vector set's GELU gives the AVX2
// kernel's bits (the AVX-512 kernel is its arithmetic on wider registers), on
// lengths that exercise the 16- and 8-element blocks and the scalar tail.
func TestGELUSetsAgree(t *testing.T) {
	r := newRand(t)
	x := randSlice(r, 4099)
	for i := range x {
		x[i] *= 12
	}
	if len(availableKernels()) < 2 {
		t.Skip("no AVX2 on this CPU")
	}
	ref := append([]float32(nil), x...)
	avx2Kernels().gelu(ref)
	forEachKernelSet(t, func(t *testing.T, k kernels) {
		if k.isa == isaGo {
			return
		}
		for _, n := range []int{4099, 4096, 31, 24, 16, 15, 8} {
			y := append([]float32(nil), x[:n]...)
			k.gelu(y)
			for i := range y {
				if math.Float32bits(y[i]) != math.Float32bits(ref[i]) {
					t.Fatalf("%v n=%d: GELU(%v) = %v, the AVX2 kernel gives %v", k.isa, n, x[i], y[i], ref[i])
				}
			}
		}
	})
}

// BenchmarkGELUSets runs each set's erf GELU over a MiniLM batch's FFN
// activations (400 rows of 1536): uniform on [−1, 1] ("central": every
// vector on the polynomial path) and on [−6, 6] ("wide": most vectors have a
// lane past ±4 and take both paths).
func BenchmarkGELUSets(b *testing.B) {
	r := newRand(b)
	for _, dist := range []struct {
		name  string
		scale float32
	}{{"central", 1}, {"wide", 6}} {
		x := randSlice(r, 400*1536)
		for i := range x {
			x[i] *= dist.scale
		}
		y := make([]float32, len(x))
		for _, k := range availableKernels() {
			b.Run(dist.name+"/"+k.isa.String(), func(b *testing.B) {
				b.SetBytes(int64(4 * len(x)))
				for b.Loop() {
					copy(y, x)
					k.gelu(y)
				}
			})
		}
	}
}
