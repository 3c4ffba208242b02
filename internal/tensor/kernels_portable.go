//go:build !amd64 || purego

package tensor

// Without assembly every kernel set is the portable one.

func detectKernels() kernels { return portableKernels() }

// availableKernels lists the kernel sets this machine can run (tests use it).
func availableKernels() []kernels { return []kernels{portableKernels()} }

func (k kernels) dot(a, b []float32) float32               { return dotGo(a, b) }
func (k kernels) dotBF16(x []float32, w []uint16) float32  { return dotBF16Go(x, w) }
func (k kernels) dotF16(x []float32, w []uint16) float32   { return dotF16Go(x, w) }
func (k kernels) axpy(alpha float32, x, y []float32)       { axpyGo(alpha, x, y) }
func (k kernels) add(dst, a, b []float32)                  { addGo(dst, a, b) }
func (k kernels) micro(kc int, a, b, c []float32, ldc int) { microGo(kc, a, b, c, ldc) }

// packBTrans packs a transposed B strip with vector code when it can.
func (k kernels) packBTrans(dst []float32, b *bSource, p0, kc, j0, cols int) bool { return false }

// directA: the portable set always packs A.
func (k kernels) directA() bool { return false }

// microDirect is never called without directA.
func (k kernels) microDirect(kc int, a []float32, lda int, b, c []float32, ldc int, bias []float32, first bool) {
	panic("tensor: microDirect without a direct-A kernel")
}

// microRows has no short-strip variants in the portable set.
func (k kernels) microRows(kc int, a, b, c []float32, ldc, rows int) bool { return false }

func (k kernels) expSum(x []float32, shift float32) float32 { return expSumGo(x, shift) }
func (k kernels) silu(dst, x []float32)                     { siluGo(dst, x) }
func (k kernels) gelu(x []float32)                          { geluGo(x) }
func (k kernels) sumF64(x []float32) float64                { return sumF64Go(x) }
func (k kernels) sumSqDevF64(x []float32, mean float64) float64 {
	return sumSqDevF64Go(x, mean)
}
func (k kernels) normAffine(dst, x, w, b []float32, rstd, shift float32) {
	normAffineGo(dst, x, w, b, rstd, shift)
}
func (k kernels) swiglu(dst, gate, up []float32) { swigluGo(dst, gate, up) }

// dotQuads is single dot products in the portable set.
func (k kernels) dotQuads(out []float32, x gemvX, b *bSource, j0 int) {
	for i := range out {
		out[i] = k.rowDot(x.x, b, (j0+i)*b.ld)
	}
}

// streamQuads has no portable kernel: dotStreams goes row by row.
func (k kernels) streamQuads(out []float32, x gemvX, b *bSource, q0, q1, s int) bool { return false }

// axpy4 is four axpy calls in the portable set.
func (k kernels) axpy4(alpha *[4]float32, b []float32, ldb int, y []float32) {
	for r, a := range alpha {
		axpyGo(a, b[r*ldb:r*ldb+len(y)], y)
	}
}

// gemmDot has no portable variant: products always pack.
func (k kernels) gemmDot(p *Pool, c []float32, m, n, kd int, a []float32, b *bSource, bias []float32) bool {
	return false
}

// gemmRows has no portable variant: products always pack.
func (k kernels) gemmRows(p *Pool, c []float32, m, n, kd int, a []float32, b *bSource, bias []float32) bool {
	return false
}

// rowsFirst: without gemmRows the order does not matter.
func (k kernels) rowsFirst(dt DType, rows int) bool { return false }

// forLinear: the portable set runs every Linear itself.
func (k kernels) forLinear(rows int, dt DType) kernels { return k }

// forRowInvariant: the portable set runs every LinearRowInvariant itself.
func (k kernels) forRowInvariant() kernels { return k }

// vec: the portable set runs its own vector loops.
func (k kernels) vec() kernels { return k }

// attendSmall has no portable variant: AttendAll runs matrix products.
func (k kernels) attendSmall(out, q, kk, v []float32, ld, hd, nq, nk int, scale float32, mask []int32, s *AttendScratch) bool {
	return false
}

// rotateHeads applies rotateHalf to each head of x.
func (k kernels) rotateHeads(x, cos, sin []float32) { rotateHeadsGo(x, cos, sin) }
