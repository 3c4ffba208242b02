package tensor

import "sync"

// isa names an implementation of the hot loops.
type isa uint8

const (
	isaGo     isa = iota // portable Go, every architecture
	isaAVX2              // amd64 AVX2 + FMA + F16C
	isaAVX512            // amd64 AVX-512F (+ the AVX2 set for the 16-bit widening loops)
)

func (i isa) String() string {
	switch i {
	case isaAVX2:
		return "avx2"
	case isaAVX512:
		return "avx512"
	}
	return "go"
}

// kernels is a kernel set: which implementation of the hot loops to run and the
// register-tile shape of its matrix-product micro-kernel. It is a small value so
// that every exported function can be written once as a method and the tests can
// run the same code with each available set.
type kernels struct {
	isa    isa
	mr, nr int // micro-kernel tile: mr rows of A by nr columns of B
}

// portableKernels is the pure-Go set, available everywhere.
func portableKernels() kernels { return kernels{isa: isaGo, mr: 4, nr: 4} }

// activeKernels returns the kernel set every exported function uses: the best one
// the CPU supports, decided once on first use. This is the package's only global
// and it is read-only after its first evaluation.
var activeKernels = sync.OnceValue(detectKernels)

// maxTile bounds mr·nr over all kernel sets (sizes the stack buffer for edge tiles).
const maxTile = 16 * 32
