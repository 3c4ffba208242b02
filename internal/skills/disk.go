package skills

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// maxDiskDepth bounds the walk of a model folder (1_Pooling/config.json is
// one level down; nothing a model needs is deeper than a few).
const maxDiskDepth = 4

// diskBytes sums the sizes of the files in dir, following symlinks to files
// (a Hugging Face cache snapshot is all symlinks into blobs/) and counting
// each underlying file once. Broken symlinks count nothing; hub reports them.
func diskBytes(dir string) (int64, error) {
	var total int64
	seen := map[string]bool{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == dir {
				return err
			}
			return nil
		}
		if d.IsDir() {
			rel, _ := filepath.Rel(dir, path)
			if rel != "." && strings.Count(filepath.ToSlash(rel), "/")+1 >= maxDiskDepth {
				return fs.SkipDir
			}
			return nil
		}
		info, err := os.Stat(path)
		if err != nil || !info.Mode().IsRegular() {
			return nil
		}
		real, err := filepath.EvalSymlinks(path)
		if err != nil {
			real = path
		}
		if !seen[real] {
			seen[real] = true
			total += info.Size()
		}
		return nil
	})
	return total, err
}
