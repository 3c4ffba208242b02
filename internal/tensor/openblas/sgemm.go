//go:build openblas && cgo

package openblas

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>
*/
import "C"

import "fmt"

// Sgemm computes c[m×n] = a[m×k] · B with cblas_sgemm (row-major), where B is b
// stored [n×k] when transB (the nn.Linear weight layout) or [k×n] otherwise.
// It panics if a slice is shorter than its shape.
func Sgemm(c, a, b []float32, m, n, k int, transB bool) {
	if m <= 0 || n <= 0 || k <= 0 {
		return
	}
	if len(a) < m*k || len(b) < n*k || len(c) < m*n {
		panic(fmt.Sprintf("openblas.Sgemm: slices shorter than %d×%d×%d", m, n, k))
	}
	tb, ldb := uint32(C.CblasNoTrans), n
	if transB {
		tb, ldb = C.CblasTrans, k
	}
	C.cblas_sgemm(C.CblasRowMajor, C.CblasNoTrans, tb, C.blasint(m), C.blasint(n), C.blasint(k),
		1, (*C.float)(&a[0]), C.blasint(k), (*C.float)(&b[0]), C.blasint(ldb),
		0, (*C.float)(&c[0]), C.blasint(n))
}
