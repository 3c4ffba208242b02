//go:build amd64 && !purego && avx512vec

package tensor

// vec512: built with the avx512vec tag, the AVX-512 set runs its 512-bit
// vector kernels (see kernels.vec).
const vec512 = true
