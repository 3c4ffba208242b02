package tensor

// Linear computes dst[rows × w.Rows] = x[rows × w.Cols] · wᵀ, plus bias[w.Rows] on
// every row when bias is not nil — torch.nn.functional.linear. It is a matrix
// product for rows > 1 and a matrix-vector product for a single row; F16 and BF16
// weights are widened inside the kernel. The work is split over p's workers; with
// a nil Pool it runs serially and products of more than 4 rows allocate their
// packing buffers on every call (a Pool recycles them).
func Linear(p *Pool, dst, x []float32, rows int, w *Matrix, bias []float32) {
	activeKernels().linear(p, dst, x, rows, w, bias)
}

// LinearRowInvariant computes the same product as Linear, with one more
// promise: each row of dst is bit for bit the same whatever the other rows of x
// are and however many there are. Linear picks its kernel by the row count
// (matrix-vector kernels for a few rows, in-place kernels for a few more,
// packed micro-kernel products above), and they sum the depth in different
// orders; this one runs only the packed products, whose order depends only on
// the depth, and gemmRows, which sums in exactly their order (F32 weights, up
// to 32 rows, read in place). Encoders use it so that an input's embedding
// does not depend on what it was batched with.
func LinearRowInvariant(p *Pool, dst, x []float32, rows int, w *Matrix, bias []float32) {
	activeKernels().linearRowInvariant(p, dst, x, rows, w, bias)
}

// MatMul computes c[m×n] = a[m×k] · b[k×n], all float32 row-major (GPT-2 Conv1D
// weights, attention probabilities · values). It overwrites c.
func MatMul(p *Pool, c, a, b []float32, m, n, k int) {
	activeKernels().matMul(p, c, a, b, m, n, k)
}

// MatMulT computes c[m×n] = a[m×k] · bᵀ with b stored [n×k], all float32 row-major
// (attention queries · keys). It overwrites c.
func MatMulT(p *Pool, c, a, b []float32, m, n, k int) {
	activeKernels().matMulT(p, c, a, b, m, n, k)
}

func (k kernels) linear(p *Pool, dst, x []float32, rows int, w *Matrix, bias []float32) {
	if rows <= 0 {
		return
	}
	op := linearOp("Linear", dst, x, rows, w, bias)
	if n := k.forLinear(rows, w.DType); n != k {
		n.linear(p, dst, x, rows, w, bias)
		return
	}
	if rows <= gemvMaxRows {
		k.gemv(p, x, rows, w.Cols, []gemvOp{op})
		return
	}
	if k.rowsFirst(w.DType, rows) && k.gemmRows(p, dst, rows, w.Rows, w.Cols, x, &op.b, bias) {
		return
	}
	if k.gemmDot(p, dst, rows, w.Rows, w.Cols, x, &op.b, bias) {
		return
	}
	k.product(p, dst, rows, w.Rows, w.Cols, x, &op.b, bias)
}

func (k kernels) linearRowInvariant(p *Pool, dst, x []float32, rows int, w *Matrix, bias []float32) {
	if rows <= 0 {
		return
	}
	if n := k.forRowInvariant(); n != k {
		n.linearRowInvariant(p, dst, x, rows, w, bias)
		return
	}
	op := linearOp("LinearRowInvariant", dst, x, rows, w, bias)
	if k.gemmRows(p, dst, rows, w.Rows, w.Cols, x, &op.b, bias) { // the packed products' order
		return
	}
	k.product(p, dst, rows, w.Rows, w.Cols, x, &op.b, bias)
}

func (k kernels) matMul(p *Pool, c, a, b []float32, m, n, kd int) {
	if m <= 0 || n <= 0 {
		return
	}
	checkLen("MatMul", "a", len(a), m*kd)
	checkLen("MatMul", "b", len(b), kd*n)
	checkLen("MatMul", "c", len(c), m*n)
	if kd <= 0 {
		clear(c[:m*n])
		return
	}
	if m <= gemvMaxRows || m*n*kd <= smallProductMACs {
		for r := 0; r < m; r += gemvMaxRows {
			k.gemvAxpy(p, c[r*n:], a[r*kd:], b, min(gemvMaxRows, m-r), n, kd)
		}
		return
	}
	k.product(p, c, m, n, kd, a, &bSource{dtype: F32, f32: b, ld: n}, nil)
}

func (k kernels) matMulT(p *Pool, c, a, b []float32, m, n, kd int) {
	if m <= 0 || n <= 0 {
		return
	}
	checkLen("MatMulT", "a", len(a), m*kd)
	checkLen("MatMulT", "b", len(b), n*kd)
	checkLen("MatMulT", "c", len(c), m*n)
	if kd <= 0 {
		clear(c[:m*n])
		return
	}
	bs := bSource{trans: true, dtype: F32, f32: b, ld: kd}
	if m <= gemvMaxRows || m*n*kd <= smallProductMACs {
		for r := 0; r < m; r += gemvMaxRows {
			k.gemv(p, a[r*kd:], min(gemvMaxRows, m-r), kd, []gemvOp{{dst: c[r*n:], b: bs, n: n}})
		}
		return
	}
	k.product(p, c, m, n, kd, a, &bs, nil)
}

// smallProductMACs bounds the products MatMul and MatMulT compute without
// packing, four rows at a time through the matrix-vector kernels: attention's
// per-head products at short lengths, where packing (and, without a Pool, its
// buffers) costs more than the arithmetic.
const smallProductMACs = 1 << 16

// gemvAxpy computes c[r, :] = Σ_p a[r, p] · b[p, :] for b stored [kd, n] as a sum
// of scaled rows of b, four rows per pass over the output. Workers split the n
// columns.
func (k kernels) gemvAxpy(p *Pool, c, a, b []float32, m, n, kd int) {
	p.For(n, 256, func(s, e int) {
		for r := range m {
			out := c[r*n+s : r*n+e]
			clear(out)
			ar := a[r*kd : (r+1)*kd]
			q := 0
			for ; q+4 <= kd; q += 4 {
				k.axpy4((*[4]float32)(ar[q:q+4]), b[q*n+s:], n, out)
			}
			for ; q < kd; q++ {
				k.axpy(ar[q], b[q*n+s:q*n+e], out)
			}
		}
	})
}

// product picks the packed-product strategy for m rows.
func (k kernels) product(p *Pool, c []float32, m, n, kd int, a []float32, b *bSource, bias []float32) {
	if m <= gemmStreamMaxRows {
		k.gemmStream(p, c, m, n, kd, a, b, bias)
		return
	}
	k.gemm(p, c, m, n, kd, a, b, bias)
}
