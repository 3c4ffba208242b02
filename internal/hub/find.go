package hub

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// MaxFindDepth is how many folder levels below root FindModelDirs looks:
// enough for <root>/models--org--name/snapshots/<commit>.
const MaxFindDepth = 6

// FindModelDirs returns every folder under root (root included) that holds a
// config.json, sorted, for --model-dir. It follows symlinked folders but
// visits each real folder once, so symlink loops end; it does not look
// inside a model folder (its 1_Pooling/config.json is part of that model),
// into hidden folders, or deeper than MaxFindDepth. Subfolders that cannot
// be read are skipped; root itself must be a readable folder.
func FindModelDirs(root string) ([]string, error) {
	info, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("hub: model folder root: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("hub: model folder root %s is not a folder", root)
	}
	if _, err := os.ReadDir(root); err != nil {
		return nil, fmt.Errorf("hub: model folder root: %w", err)
	}
	f := finder{visited: map[string]bool{}}
	f.walk(root, 0)
	slices.Sort(f.found)
	return f.found, nil
}

// finder carries one FindModelDirs walk's state.
type finder struct {
	visited map[string]bool // real paths of folders already walked
	found   []string
}

func (f *finder) walk(dir string, depth int) {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil || f.visited[real] {
		return
	}
	f.visited[real] = true
	if fileExists(filepath.Join(dir, ConfigFile)) {
		f.found = append(f.found, dir)
		return
	}
	if depth >= MaxFindDepth {
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") || !isDirEntry(dir, e) {
			continue
		}
		f.walk(filepath.Join(dir, e.Name()), depth+1)
	}
}
