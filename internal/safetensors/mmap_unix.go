//go:build unix

package safetensors

import (
	"fmt"
	"math"
	"os"

	"golang.org/x/sys/unix"
)

// mapFile maps size bytes of f read-only and shared, so the pages come from
// the page cache and cost no private memory. release unmaps them.
func mapFile(f *os.File, size int64) (data []byte, release func() error, err error) {
	if size <= 0 || size > math.MaxInt {
		return nil, nil, fmt.Errorf("cannot map a %d-byte file", size)
	}
	data, err = unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, nil, fmt.Errorf("mmap: %w", err)
	}
	adviseHugePages(data)
	return data, func() error { return unix.Munmap(data) }, nil
}
