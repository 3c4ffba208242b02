package tensor

import (
	"fmt"
	"unsafe"
)

// gemvMaxRows is the largest row count served by the matrix-vector path: below
// the micro-kernel's height, packing B costs more than streaming it once per row
// block, and decode steps (one token per sequence) are memory-bound anyway.
const gemvMaxRows = 4

// gemvBlockBytes bounds the weight rows one worker streams before moving to the
// next input row, so that with several input rows the block is re-read from L2.
const gemvBlockBytes = 128 << 10

// gemvGrainRows is the fewest weight rows a worker claims at a time: enough to
// stream a few tens of kilobytes between two claims.
const gemvGrainRows = 64

// gemvStreamAhead is how many bytes ahead of where it reads them the AVX-512
// F32 kernel prefetches its four streams (STREAMAHEAD in gemv_amd64.s is the
// AVX2 kernels'): on a Zen 5 the F32 decode's products in streams ran 1.03–1.2×
// faster 2 KB ahead than in consecutive quads (3 of 3 rounds), and 1–3 KB
// ahead were alike, 4 and 8 KB slower.
const gemvStreamAhead = 2048

// Projection is one of the products of LinearMulti: Dst[rows × W.Rows] =
// x · Wᵀ, plus Bias[W.Rows] on every row when Bias is not nil.
type Projection struct {
	Dst  []float32
	W    *Matrix
	Bias []float32
}

// LinearMulti computes Linear(p, o.Dst, x, rows, o.W, o.Bias) for every o in
// outs, which all read the same input x [rows × Cols] (all W have the same
// Cols), with the same results. With at most 4 rows (decoding) the products
// run as one parallel loop over all their weight rows: the workers start and
// finish once rather than once per matrix, which matters when each matrix takes
// only tens of microseconds to stream (attention's q, k, v; the MLP's gate and
// up). Larger products run one after the other.
func LinearMulti(p *Pool, x []float32, rows int, outs ...Projection) {
	activeKernels().linearMulti(p, x, rows, outs)
}

func (k kernels) linearMulti(p *Pool, x []float32, rows int, outs []Projection) {
	if rows <= 0 || len(outs) == 0 {
		return
	}
	if rows > gemvMaxRows {
		for _, o := range outs {
			k.linear(p, o.Dst, x, rows, o.W, o.Bias)
		}
		return
	}
	ops := make([]gemvOp, len(outs))
	for i, o := range outs {
		ops[i] = linearOp("LinearMulti", o.Dst, x, rows, o.W, o.Bias)
		if i > 0 && o.W.Cols != outs[0].W.Cols {
			panic(fmt.Sprintf("tensor.LinearMulti: weight %d has %d columns, weight 0 has %d", i, o.W.Cols, outs[0].W.Cols))
		}
	}
	k.gemv(p, x, rows, outs[0].W.Cols, ops)
}

// linearOp checks one Linear product's operands and describes its weight.
func linearOp(kernel string, dst, x []float32, rows int, w *Matrix, bias []float32) gemvOp {
	if w == nil {
		panic(fmt.Sprintf("tensor.%s: nil weight matrix", kernel))
	}
	n, kd := w.Rows, w.Cols
	checkLen(kernel, "x", len(x), rows*kd)
	checkLen(kernel, "dst", len(dst), rows*n)
	if bias != nil {
		checkLen(kernel, "bias", len(bias), n)
	}
	switch w.DType {
	case F32:
		checkLen(kernel, "w.F32", len(w.F32), n*kd)
	case F16, BF16:
		checkLen(kernel, "w.U16", len(w.U16), n*kd)
	default:
		panic(fmt.Sprintf("tensor.%s: unsupported weight dtype %s", kernel, w.DType))
	}
	return gemvOp{dst: dst, n: n, bias: bias,
		b: bSource{trans: true, dtype: w.DType, f32: w.F32, u16: w.U16, ld: kd}}
}

// gemvOp is one weight matrix B [n, kd] of a matrix-vector product:
// dst[r, j] = x[r, :] · B[j, :] (+ bias[j]).
type gemvOp struct {
	dst  []float32
	b    bSource
	n    int
	bias []float32
}

// units is how many parts of op the workers claim: its quads, and with
// streams the rows past the last whole quad as one more.
func (op *gemvOp) units(streams bool) int {
	if streams {
		return op.n/4 + min(1, op.n%4)
	}
	return (op.n + 3) / 4
}

// gemvX is one input row of a matrix-vector product as the kernels read it.
type gemvX struct {
	x []float32
	// split is x as splitPadded lays it out for the weight rows at hand, for
	// the kernels that widen 16-bit weights in pairs; nil when none needs it.
	split []float32
}

// splitsX reports whether the kernel set's matrix-vector kernel for dtype reads
// gemvX.split.
func (k kernels) splitsX(dt DType) bool { return k.vec().isa == isaAVX2 && dt == BF16 }

// streams reports whether the kernel set reads a matrix of dtype in streams
// (see dotStreams) rather than in consecutive quads: the AVX2 16-bit
// kernels and the F32 ones, whose 4 rows a quad come from four places a
// quarter of the matrix apart. Each worker then reads four long sequential
// streams, not 4 rows side by side that end every few kilobytes, which the
// prefetchers follow better: on a Zen 5 the BF16 decode's products streamed
// 1.1–1.4× faster.
func (k kernels) streams(dt DType) bool {
	switch dt {
	case BF16, F16:
		return k.vec().isa == isaAVX2
	case F32:
		return k.isa == isaAVX512 || k.isa == isaAVX2
	}
	return false
}

// bf16Skip is how many elements before B's element off the 32-byte boundary
// at or before it lies (0 to 15): the split kernel's blocks start there.
// When B's row stride is not a multiple of 16 elements its rows start at
// different offsets of a boundary, and the blocks start at the row instead.
func bf16Skip(b *bSource, off int) int {
	if b.ld%16 != 0 || len(b.u16) == 0 {
		return 0
	}
	return int(uintptr(unsafe.Pointer(&b.u16[0]))%32/2+uintptr(off)%16) % 16
}

// splitPadded writes to dst (len(dst) = blocks·16, blocks = ⌈(skip+len(x))/16⌉)
// x preceded by skip zeros and followed by zeros, each 16-element block as its
// 8 even-indexed elements followed by its 8 odd-indexed ones.
func splitPadded(dst, x []float32, skip int) {
	// The blocks x fills whole are copied sixteen elements at a time (a
	// decode step splits every matrix-vector product's input on the caller's
	// thread while the other workers wait: 6 µs for a 4864-wide input one
	// element at a time, five times less this way); the first and last
	// blocks, partly padding, element by element. Only what no element of
	// x lands on is cleared.
	i, end := 0, 0
	if skip > 0 {
		i = min(len(x), 16-skip)
		splitPart(dst[:16], x[:i], skip)
		end = 16
	}
	for ; i+16 <= len(x); i += 16 {
		d, s := dst[skip+i:skip+i+16:skip+i+16], x[i:i+16:i+16]
		d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7] = s[0], s[2], s[4], s[6], s[8], s[10], s[12], s[14]
		d[8], d[9], d[10], d[11], d[12], d[13], d[14], d[15] = s[1], s[3], s[5], s[7], s[9], s[11], s[13], s[15]
		end = skip + i + 16
	}
	if i < len(x) {
		b := (skip + i) &^ 15
		splitPart(dst[b:b+16], x[i:], (skip+i)&15)
		end = b + 16
	}
	clear(dst[end:])
}

// splitPart sets the split block dst to x (at most 16-at elements) as
// elements at, at+1, … of the block and zeros elsewhere.
func splitPart(dst, x []float32, at int) {
	clear(dst)
	for i, v := range x {
		j := at + i
		dst[j&1*8+j>>1] = v
	}
}

// splitEvenOdd is splitPadded without padding: len(src) a multiple of 16.
func splitEvenOdd(dst, src []float32) { splitPadded(dst[:len(src)], src, 0) }

// xSplits holds the input rows (kd elements each) split by splitPadded once
// per skip in use (bySkip[s] is rows × splitLen(s) floats, nil for skips no
// matrix has).
type xSplits struct {
	bySkip [16][]float32
	kd     int
}

// splitLen is the length of one input row split for skip: whole blocks.
func (s *xSplits) splitLen(skip int) int { return (skip + s.kd + 15) &^ 15 }

// row returns input row r split for weights that start skip elements past a
// 32-byte boundary.
func (s *xSplits) row(r, skip int) []float32 {
	n := s.splitLen(skip)
	return s.bySkip[skip][r*n : (r+1)*n]
}

// gemv computes every op for rows (≤ gemvMaxRows) input rows of x [rows × kd]
// in one parallel loop. Workers claim groups of four weight rows of any op
// (consecutive rows, or one row of each quarter in streams); each streams
// its weight rows in L2-sized blocks once for all input rows.
func (k kernels) gemv(p *Pool, x []float32, rows, kd int, ops []gemvOp) {
	var splits *xSplits
	for i := range ops {
		b := &ops[i].b
		if !k.splitsX(b.dtype) || kd < 16 {
			continue
		}
		if splits == nil {
			splits = &xSplits{kd: kd}
		}
		skip := bf16Skip(b, 0)
		if splits.bySkip[skip] != nil {
			continue
		}
		buf := p.getGemmBuf(rows*splits.splitLen(skip), 0)
		defer p.putGemmBuf(buf)
		splits.bySkip[skip] = buf.a
		for r := range rows {
			splitPadded(splits.row(r, skip), x[r*kd:(r+1)*kd], skip)
		}
	}
	units, grain := 0, 0
	for i := range ops {
		units += ops[i].units(k.streams(ops[i].b.dtype))
		grain = max(grain, min(gemvGrainRows, k.gemvBlock(&ops[i].b, kd))/4)
	}
	p.For(units, grain, func(s, e int) {
		off := 0
		for i := range ops {
			op := &ops[i]
			nu := op.units(k.streams(op.b.dtype))
			if lo, hi := max(s, off), min(e, off+nu); lo < hi {
				k.gemvRows(op, x, splits, rows, kd, lo-off, hi-off)
			}
			off += nu
		}
	})
}

// gemvBlock is how many weight rows (a multiple of 4) fit in gemvBlockBytes.
func (k kernels) gemvBlock(b *bSource, kd int) int {
	return max(4, gemvBlockBytes/(kd*max(1, b.dtype.Size()))&^3)
}

// gemvRows computes op's outputs of its units [u0, u1) for every input row.
func (k kernels) gemvRows(op *gemvOp, x []float32, splits *xSplits, rows, kd, u0, u1 int) {
	streams := k.streams(op.b.dtype)
	skip := -1
	if splits != nil && k.splitsX(op.b.dtype) {
		skip = bf16Skip(&op.b, 0)
	}
	input := func(r int) gemvX {
		in := gemvX{x: x[r*kd : (r+1)*kd]}
		if skip >= 0 {
			in.split = splits.row(r, skip)
		}
		return in
	}
	if !streams {
		k.gemvConsecutive(op, input, rows, kd, 4*u0, min(op.n, 4*u1))
		return
	}
	// Quads q < n/4 are rows q + i·n/4, i < 4; the unit after them the rows
	// past 4·(n/4).
	s := op.n / 4
	block := max(1, k.gemvBlock(&op.b, kd)/4)
	for b0 := u0; b0 < min(u1, s); b0 += block {
		b1 := min(u1, s, b0+block)
		for r := range rows {
			out := op.dst[r*op.n : (r+1)*op.n]
			k.dotStreams(out, input(r), &op.b, b0, b1, s)
			if op.bias != nil {
				for i := range 4 {
					lo, hi := b0+i*s, b1+i*s
					addTo(out[lo:hi], op.bias[lo:hi])
				}
			}
		}
	}
	if u1 > s { // the rows past the last whole quad
		for r := range rows {
			out := op.dst[r*op.n : (r+1)*op.n]
			in := input(r)
			for j := 4 * s; j < op.n; j++ {
				out[j] = k.rowDot(in.x, &op.b, j*op.b.ld)
				if op.bias != nil {
					out[j] += op.bias[j]
				}
			}
		}
	}
}

// gemvConsecutive computes op's outputs [j0, j1) for every input row, four
// consecutive weight rows at a time.
func (k kernels) gemvConsecutive(op *gemvOp, input func(r int) gemvX, rows, kd, j0, j1 int) {
	block := k.gemvBlock(&op.b, kd)
	for b0 := j0; b0 < j1; b0 += block {
		b1 := min(j1, b0+block)
		for r := range rows {
			out := op.dst[r*op.n+b0 : r*op.n+b1]
			k.dotRows(out, input(r), &op.b, b0)
			if op.bias != nil {
				addTo(out, op.bias[b0:b1])
			}
		}
	}
}

// addTo adds v to out element by element (len(v) = len(out)).
func addTo(out, v []float32) {
	for i, x := range v {
		out[i] += x
	}
}

// dotStreams sets out[q+i·s] = x · B[q+i·s, :] for q0 ≤ q < q1 and i < 4
// (q1+3·s ≤ len(out), B stored [len(out), len(x.x)] with row stride b.ld):
// four rows a quarter of the matrix apart at a time, one kernel call for
// all of them where the kernel set has one (streamQuads).
func (k kernels) dotStreams(out []float32, x gemvX, b *bSource, q0, q1, s int) {
	if q0 >= q1 || k.streamQuads(out, x, b, q0, q1, s) {
		return
	}
	for i := range 4 {
		for q := q0; q < q1; q++ {
			j := q + i*s
			out[j] = k.rowDot(x.x, b, j*b.ld)
		}
	}
}

// dotRows sets out[i] = x · B[j0+i, :] for each i, four rows at a time.
func (k kernels) dotRows(out []float32, x gemvX, b *bSource, j0 int) {
	i := 0
	if k.isa != isaGo {
		if i = len(out) &^ 3; i > 0 {
			k.dotQuads(out[:i], x, b, j0)
		}
	}
	for ; i < len(out); i++ {
		out[i] = k.rowDot(x.x, b, (j0+i)*b.ld)
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
