package tensor

import "math"

// Portable implementations of the hot loops. They are the reference the assembly
// is tested against, and what runs where no assembly exists.

func dotGo(a, b []float32) float32 {
	n := len(a)
	b = b[:n]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= n; i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < n; i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func dotBF16Go(x []float32, w []uint16) float32 {
	n := len(x)
	w = w[:n]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= n; i += 4 {
		s0 += x[i] * bf16ToF32(w[i])
		s1 += x[i+1] * bf16ToF32(w[i+1])
		s2 += x[i+2] * bf16ToF32(w[i+2])
		s3 += x[i+3] * bf16ToF32(w[i+3])
	}
	for ; i < n; i++ {
		s0 += x[i] * bf16ToF32(w[i])
	}
	return (s0 + s1) + (s2 + s3)
}

func dotF16Go(x []float32, w []uint16) float32 {
	n := len(x)
	w = w[:n]
	var s0, s1 float32
	i := 0
	for ; i+2 <= n; i += 2 {
		s0 += x[i] * f16ToF32(w[i])
		s1 += x[i+1] * f16ToF32(w[i+1])
	}
	for ; i < n; i++ {
		s0 += x[i] * f16ToF32(w[i])
	}
	return s0 + s1
}

func axpyGo(alpha float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}

// microGo is the portable 4×4 micro-kernel: c[i*ldc+j] += Σ_p a[p*4+i]·b[p*4+j]
// over kc packed steps.
func microGo(kc int, a, b, c []float32, ldc int) {
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	var c20, c21, c22, c23, c30, c31, c32, c33 float32
	a = a[:kc*4]
	b = b[:kc*4]
	for p := 0; p < len(a); p += 4 {
		a0, a1, a2, a3 := a[p], a[p+1], a[p+2], a[p+3]
		b0, b1, b2, b3 := b[p], b[p+1], b[p+2], b[p+3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	r := c[:3*ldc+4]
	r[0] += c00
	r[1] += c01
	r[2] += c02
	r[3] += c03
	r = c[ldc : ldc+4]
	r[0] += c10
	r[1] += c11
	r[2] += c12
	r[3] += c13
	r = c[2*ldc : 2*ldc+4]
	r[0] += c20
	r[1] += c21
	r[2] += c22
	r[3] += c23
	r = c[3*ldc : 3*ldc+4]
	r[0] += c30
	r[1] += c31
	r[2] += c32
	r[3] += c33
}

// expSumGo sets x[i] = e^(x[i]−shift) and returns their float32 sum.
func expSumGo(x []float32, shift float32) float32 {
	var s float32
	for i, v := range x {
		e := float32(math.Exp(float64(v - shift)))
		x[i] = e
		s += e
	}
	return s
}

func siluGo(dst, x []float32) {
	dst = dst[:len(x)]
	for i, v := range x {
		dst[i] = silu(v)
	}
}

func swigluGo(dst, gate, up []float32) {
	n := len(dst)
	gate, up = gate[:n], up[:n]
	for i := range dst {
		dst[i] = silu(gate[i]) * up[i]
	}
}
