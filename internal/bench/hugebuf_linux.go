//go:build linux

package bench

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// hugeFloats returns n float32s of anonymous memory advised into 2 MiB pages
// (MADV_HUGEPAGE), as the model weights are mapped (see safetensors'
// adviseHugePages), and a function that frees them. Where the mapping fails
// it falls back to the Go heap.
func hugeFloats(n int) ([]float32, func()) {
	b, err := unix.Mmap(-1, 0, 4*n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		return make([]float32, n), func() {}
	}
	_ = unix.Madvise(b, unix.MADV_HUGEPAGE)
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), n), func() { _ = unix.Munmap(b) }
}
