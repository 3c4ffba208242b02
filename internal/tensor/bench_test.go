package tensor

import (
	"fmt"
	"testing"
	"time"
	"unsafe"
)

// benchShapes are the products the performance goals name, as M×K×N: M rows of
// activations, K inputs, N outputs (weights [N, K]).
var benchShapes = []struct{ m, k, n int }{
	{512, 512, 512},
	{1024, 1024, 1024},
	{32, 768, 3072},
	{128, 768, 768},
	{1, 896, 4864},
}

// BenchmarkLinear measures Linear (activations · weightsᵀ) on all cores.
func BenchmarkLinear(b *testing.B) {
	p := NewPool(0)
	defer p.Close()
	for _, dt := range []DType{F32, BF16, F16} {
		for _, s := range benchShapes {
			b.Run(fmt.Sprintf("%s/%dx%dx%d", dt, s.m, s.k, s.n), func(b *testing.B) {
				r := newRand(b)
				w, _ := randWeights(b, r, s.n, s.k, dt)
				x := randSlice(r, s.m*s.k)
				dst := make([]float32, s.m*s.n)
				b.SetBytes(w.Bytes())
				start := time.Now()
				for b.Loop() {
					Linear(p, dst, x, s.m, w, nil)
				}
				reportGFLOPS(b, s.m, s.k, s.n, time.Since(start))
			})
		}
	}
}

// BenchmarkMatMul measures MatMul (plain [k, n] right operand) on all cores.
func BenchmarkMatMul(b *testing.B) {
	p := NewPool(0)
	defer p.Close()
	for _, s := range benchShapes {
		b.Run(fmt.Sprintf("%dx%dx%d", s.m, s.k, s.n), func(b *testing.B) {
			r := newRand(b)
			a, bm := randSlice(r, s.m*s.k), randSlice(r, s.k*s.n)
			c := make([]float32, s.m*s.n)
			start := time.Now()
			for b.Loop() {
				MatMul(p, c, a, bm, s.m, s.n, s.k)
			}
			reportGFLOPS(b, s.m, s.k, s.n, time.Since(start))
		})
	}
}

func reportGFLOPS(b *testing.B, m, k, n int, d time.Duration) {
	b.ReportMetric(2*float64(m)*float64(k)*float64(n)*float64(b.N)/d.Seconds()/1e9, "GFLOP/s")
}

// BenchmarkGEMVStream is decode's matrix-vector product on a weight far larger
// than the caches (a Qwen2.5-0.5B-sized lm_head, 151936×896), so it measures how
// close the kernel streams to the memory bandwidth BenchmarkReadBandwidth reports.
func BenchmarkGEMVStream(b *testing.B) {
	p := NewPool(0)
	defer p.Close()
	const n, k = 151936, 896
	for _, dt := range []DType{F32, BF16, F16} {
		r := newRand(b)
		aligned, _ := randWeights(b, r, n, k, dt)
		// The same weights 16 bytes past a cache line, where a safetensors
		// file's tensors usually start.
		fileLike := misaligned(b, aligned, 16)
		x := randSlice(r, k)
		dst := make([]float32, n)
		for _, ks := range availableKernels() {
			for _, w := range []struct {
				name string
				m    *Matrix
			}{{"aligned", aligned}, {"line+16", fileLike}} {
				b.Run(fmt.Sprintf("%s/%s/%s", dt, ks.isa, w.name), func(b *testing.B) {
					b.SetBytes(w.m.Bytes())
					for b.Loop() {
						ks.linear(p, dst, x, 1, w.m, nil)
					}
				})
			}
		}
	}
}

// misaligned returns a copy of m whose data starts shift bytes (a multiple of
// 4) past a 64-byte boundary.
func misaligned(b *testing.B, m *Matrix, shift int) *Matrix {
	b.Helper()
	var c *Matrix
	var err error
	if m.DType == F32 {
		buf := make([]float32, len(m.F32)+32)
		i := (64 - int(uintptr(unsafe.Pointer(&buf[0]))%64) + shift) % 64 / 4
		copy(buf[i:], m.F32)
		c, err = NewMatrixF32(m.Rows, m.Cols, buf[i:i+len(m.F32)])
	} else {
		buf := make([]uint16, len(m.U16)+64)
		i := (64 - int(uintptr(unsafe.Pointer(&buf[0]))%64) + shift) % 64 / 2
		copy(buf[i:], m.U16)
		c, err = NewMatrix16(m.Rows, m.Cols, m.DType, buf[i:i+len(m.U16)])
	}
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkReadBandwidth reads 512 MiB with all cores (a vectorised dot product of
// two 256 MiB halves): the memory bandwidth GEMV results are compared with.
func BenchmarkReadBandwidth(b *testing.B) {
	p := NewPool(0)
	defer p.Close()
	buf := make([]float32, 128<<20)
	for i := range buf {
		buf[i] = 1
	}
	half := len(buf) / 2
	k := activeKernels()
	sums := make([]float32, 64)
	b.SetBytes(int64(len(buf)) * 4)
	for b.Loop() {
		chunk := half / len(sums)
		p.For(len(sums), 1, func(s, e int) {
			for i := s; i < e; i++ {
				sums[i] = k.dot(buf[i*chunk:(i+1)*chunk], buf[half+i*chunk:half+(i+1)*chunk])
			}
		})
	}
}
