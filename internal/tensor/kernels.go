package tensor

import (
	"fmt"
	"os"
	"strings"
	"sync"
)

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
	kc     int // greatest depth of a packed panel; 0 means gemmKC (see panelDepth)
}

// portableKernels is the pure-Go set, available everywhere.
func portableKernels() kernels { return kernels{isa: isaGo, mr: 4, nr: 4} }

// activeKernels returns the kernel set every exported function uses: the best one
// the CPU supports, decided once on first use. This is the package's only global
// and it is read-only after its first evaluation.
var activeKernels = sync.OnceValue(detectKernels)

// KernelsEnv names the environment variable that caps the kernel set: "avx512",
// "avx2" or "go" makes the process use the widest set the CPU supports that is
// no wider than the one named; unset, empty or "auto" means the widest. It is
// for comparing the sets on one machine and for working around a CPU where a
// wider set is slower (AVX-512 frequency drops on some parts). CheckKernelsEnv
// reports a value this process cannot honour.
const KernelsEnv = "HFSERVE_KERNELS"

// kernelCap parses a KernelsEnv value; ok is false for a name it does not know.
func kernelCap(v string) (limit isa, ok bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "auto", "avx512":
		return isaAVX512, true
	case "avx2":
		return isaAVX2, true
	case "go", "portable":
		return isaGo, true
	}
	return isaGo, false
}

// CheckKernelsEnv reports an error when KernelsEnv holds a name that is not a
// kernel set or a set this CPU (or this build) cannot run, so that a server can
// refuse to start rather than silently run a set its operator did not ask for.
func CheckKernelsEnv() error {
	v := os.Getenv(KernelsEnv)
	c, ok := kernelCap(v)
	if !ok {
		return fmt.Errorf("%s=%q: not a kernel set (want auto, avx512, avx2 or go)", KernelsEnv, v)
	}
	if n := strings.ToLower(strings.TrimSpace(v)); n == "" || n == "auto" {
		return nil
	}
	for _, k := range availableKernels() {
		if k.isa == c {
			return nil
		}
	}
	names := []string{}
	for _, k := range availableKernels() {
		names = append(names, k.isa.String())
	}
	return fmt.Errorf("%s=%q: this CPU or build runs only %s", KernelsEnv, v, strings.Join(names, ", "))
}

// chooseKernels picks, from the sets ks (portable first, widest last), the
// widest no wider than the cap in env that passes check; the portable set when
// none does.
func chooseKernels(ks []kernels, env string, check func(kernels) bool) kernels {
	c, ok := kernelCap(env)
	if !ok {
		c = isaAVX512 // an unknown name caps nothing; CheckKernelsEnv reports it
	}
	for i := len(ks) - 1; i > 0; i-- {
		if ks[i].isa <= c && check(ks[i]) {
			return ks[i]
		}
	}
	return ks[0]
}

// maxTile bounds mr·nr over all kernel sets (sizes the stack buffer for edge tiles).
const maxTile = 16 * 32
