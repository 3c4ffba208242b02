package tensor

import "math"

// selfCheck runs kernel set k on a small deterministic problem — a product with
// edge tiles and odd depth in each weight dtype, and the vector kernels — and
// reports whether it agrees with the portable set. It costs well under a
// millisecond and runs once, when the kernel set is chosen.
func selfCheck(k kernels) bool {
	ref := portableKernels()
	const m, n, kd = 13, 37, 43
	x := make([]float32, m*kd)
	wf := make([]float32, n*kd)
	seed := uint32(12345)
	next := func() float32 { // xorshift: data independent of any package state
		seed ^= seed << 13
		seed ^= seed >> 17
		seed ^= seed << 5
		return float32(seed%2001)/1000 - 1
	}
	for i := range x {
		x[i] = next()
	}
	for i := range wf {
		wf[i] = next()
	}
	wb, wh := make([]uint16, len(wf)), make([]uint16, len(wf))
	F32ToBF16(wb, wf)
	F32ToF16(wh, wf)
	mats := []*Matrix{
		{Rows: n, Cols: kd, DType: F32, F32: wf},
		{Rows: n, Cols: kd, DType: BF16, U16: wb},
		{Rows: n, Cols: kd, DType: F16, U16: wh},
	}
	got, want := make([]float32, m*n), make([]float32, m*n)
	for _, w := range mats {
		for _, rows := range []int{1, m} {
			k.linear(nil, got, x, rows, w, nil)
			ref.linear(nil, want, x, rows, w, nil)
			if !allClose(got[:rows*n], want[:rows*n], float32(kd)) {
				return false
			}
		}
	}
	k.matMul(nil, got, x, wf, m, n, kd)
	ref.matMul(nil, want, x, wf, m, n, kd)
	if !allClose(got, want, float32(kd)) {
		return false
	}
	y1, y2 := append([]float32(nil), wf[:kd]...), append([]float32(nil), wf[:kd]...)
	k.axpy(0.5, x[:kd], y1)
	ref.axpy(0.5, x[:kd], y2)
	return allClose(y1, y2, 1)
}

// allClose compares results whose terms are at most 1 in magnitude, allowing the
// rounding of a different summation order over terms terms.
func allClose(a, b []float32, terms float32) bool {
	tol := 4 * terms * 0x1p-23
	for i := range a {
		if d := a[i] - b[i]; math.IsNaN(float64(d)) || d > tol || d < -tol {
			return false
		}
	}
	return true
}
