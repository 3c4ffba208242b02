//go:build linux

package hub

import (
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestPullDropsCachedPages checks that a pulled blob is not left in the page
// cache in the pieces the download wrote it in (see dropCachedPages): none of
// its pages is resident right after the pull. Skipped where the page cache
// is the file itself (tmpfs), which has nothing to drop.
func TestPullDropsCachedPages(t *testing.T) {
	h, commit := newHub(t)
	cacheDir := t.TempDir()
	var fs unix.Statfs_t
	if err := unix.Statfs(cacheDir, &fs); err != nil {
		t.Fatal(err)
	}
	if fs.Type == unix.TMPFS_MAGIC {
		t.Skip("the test directory is on tmpfs, whose pages cannot be dropped")
	}
	snap, err := testClient(h).Pull(pullCtx(t), Cache{Dir: cacheDir}, PullOptions{Repo: testRepo})
	if err != nil {
		t.Fatal(err)
	}
	if snap.Commit != commit {
		t.Fatalf("pulled %s, want %s", snap.Commit, commit)
	}
	path := filepath.Join(snap.Dir, "model.safetensors")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	data, err := unix.Mmap(int(f.Fd()), 0, int(st.Size()), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(data)
	pages := (len(data) + os.Getpagesize() - 1) / os.Getpagesize()
	vec := make([]byte, pages)
	if _, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&data[0])), uintptr(len(data)), uintptr(unsafe.Pointer(&vec[0]))); errno != 0 {
		t.Fatal(errno)
	}
	resident := 0
	for _, v := range vec {
		resident += int(v & 1)
	}
	if resident != 0 {
		t.Errorf("%d of %d pages of the pulled %s are in the page cache, want 0", resident, pages, path)
	}
}
