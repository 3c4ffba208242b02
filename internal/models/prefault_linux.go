//go:build linux

package models

import (
	"os"

	"golang.org/x/sys/unix"
)

// pageSize is the size of the pages madvise works on.
var pageSize = uintptr(os.Getpagesize())

// madvise applies advice to the pages covering x. The range comes from
// mapped memory that stays mapped for the call, so it is passed as
// addresses, never turned back into a Go pointer.
func madvise(x span, advice int) error {
	start := x.start &^ (pageSize - 1)
	_, _, errno := unix.Syscall(unix.SYS_MADVISE, start, x.end-start, uintptr(advice))
	if errno != 0 {
		return errno
	}
	return nil
}

// willNeed starts reading x's pages into the page cache.
func willNeed(x span) { _ = madvise(x, unix.MADV_WILLNEED) }

// populate maps b's pages into the process, reading them if needed:
// MADV_POPULATE_READ (Linux 5.14) fills the page tables in one call instead
// of one fault per page; older kernels touch every page instead.
func populate(b []byte) {
	if len(b) > 0 && madvise(spanOf(b), unix.MADV_POPULATE_READ) != nil {
		touch(b)
	}
}
