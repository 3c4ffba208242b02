//go:build linux

package bench

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// EvictFile drops path's pages from the operating system's page cache
// (posix_fadvise DONTNEED), so that the next read comes from the disk, as
// after a reboot. Pages another process has mapped stay.
func EvictFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("bench: evict %s: %w", path, err)
	}
	defer f.Close()
	if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
		return fmt.Errorf("bench: evict %s: %w", path, err)
	}
	return nil
}
