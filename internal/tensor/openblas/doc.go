// Package openblas binds OpenBLAS's cblas_sgemm (cgo, Debian's libopenblas-dev)
// as the yardstick the tensor kernels are benchmarked against. It is built only
// with -tags openblas; the default build (CGO_ENABLED=0) never depends on it. It
// lives apart from package tensor because Go does not allow cgo and Go assembly
// in one package.
package openblas
