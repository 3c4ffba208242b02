//go:build amd64 && !purego && !avx512vec

package tensor

// vec512: by default the AVX-512 set runs the AVX2 vector kernels (see
// kernels.vec).
const vec512 = false
