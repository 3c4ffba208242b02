package tensor

import "fmt"

// gemvMaxRows is the largest row count served by the matrix-vector path: below
// the micro-kernel's height, packing B costs more than streaming it once per row
// block, and decode steps (one token per sequence) are memory-bound anyway.
const gemvMaxRows = 4

// gemvBlockBytes bounds the weight rows one worker streams before moving to the
// next input row, so that with several input rows the block is re-read from L2.
const gemvBlockBytes = 128 << 10

// Linear computes dst[rows × w.Rows] = x[rows × w.Cols] · wᵀ, plus bias[w.Rows] on
// every row when bias is not nil — torch.nn.functional.linear. It is a matrix
// product for rows > 1 and a matrix-vector product for a single row; F16 and BF16
// weights are widened inside the kernel. The work is split over p's workers; with
// a nil Pool it runs serially and products of more than 4 rows allocate their
// packing buffers on every call (a Pool recycles them).
func Linear(p *Pool, dst, x []float32, rows int, w *Matrix, bias []float32) {
	activeKernels().linear(p, dst, x, rows, w, bias)
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
	if w == nil {
		panic("tensor.Linear: nil weight matrix")
	}
	n, kd := w.Rows, w.Cols
	checkLen("Linear", "x", len(x), rows*kd)
	checkLen("Linear", "dst", len(dst), rows*n)
	if bias != nil {
		checkLen("Linear", "bias", len(bias), n)
	}
	b := bSource{trans: true, dtype: w.DType, f32: w.F32, u16: w.U16, ld: kd}
	switch w.DType {
	case F32:
		checkLen("Linear", "w.F32", len(w.F32), n*kd)
	case F16, BF16:
		checkLen("Linear", "w.U16", len(w.U16), n*kd)
	default:
		panic(fmt.Sprintf("tensor.Linear: unsupported weight dtype %s", w.DType))
	}
	if rows <= gemvMaxRows {
		k.gemvT(p, dst, x, rows, n, kd, &b, bias)
		return
	}
	k.product(p, dst, rows, n, kd, x, &b, bias)
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
	if m <= gemvMaxRows {
		k.gemvAxpy(p, c, a, b, m, n, kd)
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
	if m <= gemvMaxRows {
		k.gemvT(p, c, a, m, n, kd, &bs, nil)
		return
	}
	k.product(p, c, m, n, kd, a, &bs, nil)
}

// gemvT computes dst[r, j] = x[r, :] · B[j, :] (+ bias[j]) for B stored [n, kd]:
// each output is a dot product along contiguous memory. Workers split the n
// outputs; each streams its weight rows in L2-sized blocks once for all rows.
func (k kernels) gemvT(p *Pool, dst, x []float32, rows, n, kd int, b *bSource, bias []float32) {
	block := max(1, gemvBlockBytes/(kd*max(1, b.dtype.Size())))
	grain := max(4, min(block, 64))
	p.For(n, grain, func(s, e int) {
		for j0 := s; j0 < e; j0 += block {
			j1 := min(e, j0+block)
			for r := range rows {
				xr := x[r*kd : (r+1)*kd]
				out := dst[r*n : (r+1)*n]
				k.dotRows(out[j0:j1], xr, b, j0)
			}
		}
	})
	if bias != nil {
		for r := range rows {
			Add(dst[r*n:(r+1)*n], dst[r*n:(r+1)*n], bias[:n])
		}
	}
}

// dotRows sets out[i] = x · B[j0+i, :] for each i, four rows at a time.
func (k kernels) dotRows(out, x []float32, b *bSource, j0 int) {
	i := 0
	if k.isa != isaGo {
		for ; i+4 <= len(out); i += 4 {
			k.dot4((*[4]float32)(out[i:i+4]), x, b, j0+i)
		}
	}
	for ; i < len(out); i++ {
		out[i] = k.rowDot(x, b, (j0+i)*b.ld)
	}
}

// rowDot returns x · B[off : off+len(x)] in B's dtype.
func (k kernels) rowDot(x []float32, b *bSource, off int) float32 {
	kd := len(x)
	switch b.dtype {
	case BF16:
		return k.dotBF16(x, b.u16[off:off+kd])
	case F16:
		return k.dotF16(x, b.u16[off:off+kd])
	}
	return k.dot(x, b.f32[off:off+kd])
}

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
