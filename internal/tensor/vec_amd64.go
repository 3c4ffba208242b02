//go:build amd64 && !purego

package tensor

import "unsafe"

// Go wrappers of the vector assembly: bounds checks, the part of each loop that
// is a whole number of vectors in assembly, the tail in Go.

// vec is the set whose vector kernels (dot products, axpy, the 16-bit
// matrix-vector kernels) k runs: the AVX-512 set runs the AVX2 ones unless
// built with the avx512vec tag; its F32 matrix-vector kernel is 512-bit in
// both builds. Measured on a 16-core Xeon with AVX-512 over three runs
// (docs/PERFORMANCE.md): batch-1 decode with 512-bit F32 matrix-vector
// products ran 5-10% faster than with the AVX2 kernel, and with the 512-bit
// BF16 one 15-25% slower than with the AVX2 kernel (which reads x split into
// even and odd halves and prefetches); 512-bit instructions in a memory-bound
// loop buy no bandwidth and can cost the core its clock. The AVX-512 set's
// packed products keep their 512-bit micro-kernel, where arithmetic bounds.
func (k kernels) vec() kernels {
	if k.isa == isaAVX512 && !vec512 {
		return avx2Kernels()
	}
	return k
}

func (k kernels) dot(a, b []float32) float32 {
	k = k.vec()
	n := len(a)
	b = b[:n]
	var s float32
	m := 0
	switch k.isa {
	case isaAVX2:
		if m = n &^ 7; m > 0 {
			s = dotAVX2(&a[0], &b[0], m)
		}
	case isaAVX512:
		if m = n &^ 15; m > 0 {
			s = dotAVX512(&a[0], &b[0], m)
		}
	}
	for i := m; i < n; i++ {
		s += a[i] * b[i]
	}
	return s
}

func (k kernels) dotBF16(x []float32, w []uint16) float32 {
	k = k.vec()
	n := len(x)
	w = w[:n]
	var s float32
	m := 0
	switch k.isa {
	case isaAVX2:
		if m = n &^ 7; m > 0 {
			s = dotBF16AVX2(&x[0], &w[0], m)
		}
	case isaAVX512:
		if m = n &^ 15; m > 0 {
			s = dotBF16AVX512(&x[0], &w[0], m)
		}
	}
	for i := m; i < n; i++ {
		s += x[i] * bf16ToF32(w[i])
	}
	return s
}

func (k kernels) dotF16(x []float32, w []uint16) float32 {
	k = k.vec()
	n := len(x)
	w = w[:n]
	var s float32
	m := 0
	switch k.isa {
	case isaAVX2:
		if m = n &^ 7; m > 0 {
			s = dotF16AVX2(&x[0], &w[0], m)
		}
	case isaAVX512:
		if m = n &^ 15; m > 0 {
			s = dotF16AVX512(&x[0], &w[0], m)
		}
	}
	for i := m; i < n; i++ {
		s += x[i] * f16ToF32(w[i])
	}
	return s
}

func (k kernels) axpy(alpha float32, x, y []float32) {
	k = k.vec()
	n := len(x)
	y = y[:n]
	m := 0
	switch k.isa {
	case isaAVX2:
		if m = n &^ 7; m > 0 {
			axpyAVX2(alpha, &x[0], &y[0], m)
		}
	case isaAVX512:
		if m = n &^ 15; m > 0 {
			axpyAVX512(alpha, &x[0], &y[0], m)
		}
	}
	for i := m; i < n; i++ {
		y[i] += alpha * x[i]
	}
}

// add sets dst[i] = a[i] + b[i] (len(a), len(b) ≥ len(dst)); every set gives
// the same bits, one rounded addition per element.
func (k kernels) add(dst, a, b []float32) {
	m := 0
	if k.isa != isaGo {
		if m = len(dst) &^ 7; m > 0 {
			_, _ = a[m-1], b[m-1]
			addAVX2(&dst[0], &a[0], &b[0], m)
		}
	}
	addGo(dst[m:], a[m:], b[m:])
}

// expSum sets x[i] = e^(x[i]−shift) and returns Σ x[i].
func (k kernels) expSum(x []float32, shift float32) float32 {
	var s float32
	m := 0
	if k.isa != isaGo {
		if m = len(x) &^ 7; m > 0 {
			s = expSumAVX2(&x[0], m, shift)
		}
	}
	return s + expSumGo(x[m:], shift)
}

// gelu applies the erf GELU to x in place. The AVX-512 kernel computes the
// AVX2 one's arithmetic on twice the lanes, so both give the same bits.
func (k kernels) gelu(x []float32) {
	m := 0
	switch k.isa {
	case isaAVX512:
		if m = len(x) &^ 15; m > 0 {
			geluAVX512(&x[0], m)
		}
	case isaAVX2:
		if m = len(x) &^ 7; m > 0 {
			geluAVX2(&x[0], m)
		}
	}
	if m < len(x) && k.isa != isaGo && len(x)-m >= 8 {
		geluAVX2(&x[m], 8)
		m += 8
	}
	geluGo(x[m:])
}

// silu sets dst[i] = silu(x[i]) over len(x).
func (k kernels) silu(dst, x []float32) {
	dst = dst[:len(x)]
	m := 0
	if k.isa != isaGo {
		if m = len(x) &^ 7; m > 0 {
			siluAVX2(&dst[0], &x[0], m)
		}
	}
	siluGo(dst[m:], x[m:])
}

// swiglu sets dst[i] = silu(gate[i])·up[i] over len(dst).
func (k kernels) swiglu(dst, gate, up []float32) {
	n := len(dst)
	gate, up = gate[:n], up[:n]
	m := 0
	if k.isa != isaGo {
		if m = n &^ 7; m > 0 {
			swigluAVX2(&dst[0], &gate[0], &up[0], m)
		}
	}
	swigluGo(dst[m:], gate[m:], up[m:])
}

// dotQuads sets out[i] = x · B[j0+i, :] for i < len(out), a positive multiple
// of 4 (B stored [n, len(x.x)] with row stride b.ld), four rows at a time with
// one load of x for the four, in one kernel call for all the rows where the
// kernel takes several quads.
func (k kernels) dotQuads(out []float32, x gemvX, b *bSource, j0 int) {
	n := len(x.x)
	quads := len(out) / 4
	out = out[:4*quads]
	m := n &^ 15 // the 16-bit AVX2 kernels take whole 16-element blocks
	off := j0 * b.ld
	last := off + (4*quads-1)*b.ld + n - 1 // the last weight read
	if m == 0 {
		for i := range out {
			out[i] = k.rowDot(x.x, b, off+i*b.ld)
		}
		return
	}
	xp := &x.x[0]
	switch b.dtype {
	case F32:
		_ = b.f32[last]
		if k.isa == isaAVX512 {
			// The whole row in the kernel, its vector loads from a cache
			// line of the first row (and so of all rows, when the row
			// stride is a multiple of 16 elements).
			head := vecHead(unsafe.Pointer(&b.f32[off]), n, b.ld, 4, 64)
			body := (n - head) &^ 15
			gemv4F32AVX512(xp, &b.f32[off], b.ld, 4*b.ld, head, body, n-head-body, quads, &out[0], 1, 4, 16*b.ld)
			return
		}
		// The whole row in the kernel, its vector loads from a 32-byte
		// boundary of the first row (and so of all rows, when the row
		// stride is a multiple of 8 elements).
		head := vecHead(unsafe.Pointer(&b.f32[off]), n, b.ld, 4, 32)
		body := (n - head) &^ 15
		gemv4F32AVX2(xp, &b.f32[off], b.ld, 4*b.ld, head, body, n-head-body, quads, &out[0], 1, 4, 0)
		return
	case BF16, F16:
		_ = b.u16[last]
		if k.vec().isa == isaAVX512 {
			// As for F32: the whole row in the kernel, the body's loads
			// from a cache line of the first row (and of all rows when
			// the row stride is a multiple of 32 elements).
			head := vecHead(unsafe.Pointer(&b.u16[off]), n, b.ld, 2, 64)
			body := (n - head) &^ 15
			for q := range quads {
				o, w := &out[4*q], &b.u16[off+4*q*b.ld]
				if b.dtype == BF16 {
					gemv4BF16AVX512(xp, w, b.ld, head, body, n-head-body, o)
				} else {
					gemv4F16AVX512(xp, w, b.ld, head, body, n-head-body, o)
				}
			}
			return
		}
		if b.dtype == BF16 {
			// The whole row in the kernel, in 16-element blocks from a
			// 32-byte boundary (see splitPadded); the quads' rows
			// consecutive (decoding reads them in streams instead:
			// streamQuads).
			skip := bf16Skip(b, off)
			blocks := (skip + n + 15) / 16
			_ = x.split[blocks*16-1]
			gemv4BF16AVX2(&x.split[0], &b.u16[off], b.ld, 4*b.ld, blocks, skip, skip+n-(blocks-1)*16, quads, &out[0], 1, 4)
			return
		}
		gemv4F16AVX2(xp, &b.u16[off], b.ld, 4*b.ld, m, quads, &out[0], 1, 4)
		if m < n {
			for i := range out {
				out[i] += k.rowDot(x.x[m:], b, off+i*b.ld+m)
			}
		}
	}
}

// vecHead is how many of a row's n elements, from p on (size bytes each),
// come before the first align-byte boundary: the kernels take those one at a
// time or masked so that their vector loads start on the boundary. It is 0
// when the row stride ld (elements) leaves the rows at different offsets of
// a boundary, since the kernels take one head for all the rows of a call.
func vecHead(p unsafe.Pointer, n, ld, size, align int) int {
	if ld%(align/size) != 0 {
		return 0
	}
	return min(n, int((uintptr(align)-uintptr(p)%uintptr(align))%uintptr(align))/size)
}

// streamQuads is dotStreams with one kernel call, where the kernel set has
// a kernel for it (the AVX2 16-bit ones, the F32 ones); it reports whether
// it did.
func (k kernels) streamQuads(out []float32, x gemvX, b *bSource, q0, q1, s int) bool {
	n := len(x.x)
	if n == 0 {
		return false
	}
	if b.dtype == F32 && (k.isa == isaAVX2 || k.isa == isaAVX512) {
		// As in dotQuads: the vector loads from a 32-byte (AVX2) or
		// 64-byte (AVX-512) boundary of every row when the row stride
		// allows it.
		off := q0 * b.ld
		_ = b.f32[(q1-1+3*s)*b.ld+n-1] // the last weight read
		_ = out[q1-1+3*s]
		w := &b.f32[off]
		if k.isa == isaAVX512 {
			head := vecHead(unsafe.Pointer(w), n, b.ld, 4, 64)
			body := (n - head) &^ 15
			gemv4F32AVX512(&x.x[0], w, s*b.ld, b.ld, head, body, n-head-body, q1-q0, &out[q0], s, 1, gemvStreamAhead)
		} else {
			head := vecHead(unsafe.Pointer(w), n, b.ld, 4, 32)
			body := (n - head) &^ 15
			gemv4F32AVX2(&x.x[0], w, s*b.ld, b.ld, head, body, n-head-body, q1-q0, &out[q0], s, 1, 1)
		}
		return true
	}
	if b.dtype == F16 && k.vec().isa == isaAVX2 {
		// Whole 16-element blocks in the kernel, the rest row by row.
		m := n &^ 15
		if m == 0 {
			return false
		}
		off := q0 * b.ld
		_ = b.u16[(q1-1+3*s)*b.ld+n-1] // the last weight read
		_ = out[q1-1+3*s]
		gemv4F16AVX2(&x.x[0], &b.u16[off], s*b.ld, b.ld, m, q1-q0, &out[q0], s, 1)
		if m < n {
			for i := range 4 {
				for q := q0; q < q1; q++ {
					j := q + i*s
					out[j] += k.rowDot(x.x[m:], b, j*b.ld+m)
				}
			}
		}
		return true
	}
	if b.dtype != BF16 || k.vec().isa != isaAVX2 || len(x.split) == 0 {
		return false
	}
	// Every row's blocks start skip elements before it: the same for all
	// rows when the row stride is a multiple of 16 elements, and 0 (the
	// blocks start at the row) when it is not (bf16Skip).
	off := q0 * b.ld
	skip := bf16Skip(b, off)
	blocks := (skip + n + 15) / 16
	_ = x.split[blocks*16-1]
	_ = b.u16[(q1-1+3*s)*b.ld+n-1] // the last weight read
	_ = out[q1-1+3*s]
	gemv4BF16AVX2(&x.split[0], &b.u16[off], s*b.ld, b.ld, blocks, skip, skip+n-(blocks-1)*16, q1-q0, &out[q0], s, 1)
	return true
}

// axpy4 adds Σ_r alpha[r]·b[r*ldb : r*ldb+len(y)] to y for r < 4.
func (k kernels) axpy4(alpha *[4]float32, b []float32, ldb int, y []float32) {
	k = k.vec()
	n := len(y)
	_ = b[3*ldb+n-1]
	m := 0
	switch k.isa {
	case isaAVX2:
		if m = n &^ 7; m > 0 {
			axpy4AVX2(&alpha[0], &b[0], ldb, &y[0], m)
		}
	case isaAVX512:
		if m = n &^ 15; m > 0 {
			axpy4AVX512(&alpha[0], &b[0], ldb, &y[0], m)
		}
	}
	for r, a := range alpha {
		if m < n {
			axpyGo(a, b[r*ldb+m:r*ldb+n], y[m:])
		}
	}
}

// sumF64 is Σ x[i] in float64 (LayerNorm's mean).
func (k kernels) sumF64(x []float32) float64 {
	m := 0
	var s float64
	if k.isa != isaGo {
		if m = len(x) &^ 7; m > 0 {
			s = sumF64AVX2(&x[0], m)
		}
	}
	return s + sumF64Go(x[m:])
}

// sumSqDevF64 is Σ (x[i] − mean)² in float64 (LayerNorm's variance).
func (k kernels) sumSqDevF64(x []float32, mean float64) float64 {
	m := 0
	var s float64
	if k.isa != isaGo {
		if m = len(x) &^ 7; m > 0 {
			s = sumSqDevF64AVX2(&x[0], m, mean)
		}
	}
	return s + sumSqDevF64Go(x[m:], mean)
}

// normAffine sets dst[i] = ((x[i]·rstd) + shift)·w[i] (+ b[i]), each step
// rounded to float32 (LayerNorm's output).
func (k kernels) normAffine(dst, x, w, b []float32, rstd, shift float32) {
	n := len(x)
	dst, w = dst[:n], w[:n]
	if b != nil {
		b = b[:n]
	}
	m := 0
	if k.isa != isaGo {
		if m = n &^ 7; m > 0 {
			var bp *float32
			if b != nil {
				bp = &b[0]
			}
			normAffineAVX2(&dst[0], &x[0], &w[0], bp, m, rstd, shift)
		}
	}
	var bt []float32
	if b != nil {
		bt = b[m:]
	}
	normAffineGo(dst[m:], x[m:], w[m:], bt, rstd, shift)
}

// rotateHeads applies rotateHalf(v, cos, sin) to each of the len(x)/(2·len(cos))
// heads of x, with the same bits.
func (k kernels) rotateHeads(x, cos, sin []float32) {
	half := len(cos)
	heads := len(x) / (2 * half)
	if k.isa == isaGo || half%8 != 0 || heads == 0 {
		rotateHeadsGo(x, cos, sin)
		return
	}
	_, _ = sin[half-1], x[heads*2*half-1]
	ropeRotateAVX2(&x[0], &cos[0], &sin[0], half, heads)
}
