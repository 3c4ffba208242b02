package safetensors

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// File names Hugging Face uses for a model folder's weights.
const (
	SingleFileName = "model.safetensors"
	IndexFileName  = "model.safetensors.index.json"
)

// ErrNoWeights is returned (wrapped) when a folder holds no safetensors
// weights in any layout this package knows.
var ErrNoWeights = errors.New("no safetensors weights")

// layout is what discovery found in a model folder.
type layout struct {
	// files are the weight files to read, absolute or relative to the
	// working directory, sorted and unique.
	files []string
	// weightMap maps tensor name to its file (an element of files); nil
	// for a single-file model.
	weightMap map[string]string
}

// discover finds a folder's weights the way transformers does: the single
// model.safetensors first, then the sharded index, and, as a convenience for
// hand-made folders, one lone *.safetensors file.
func discover(dir string) (*layout, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("safetensors: model folder: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("safetensors: model folder %s is not a directory", dir)
	}
	single := filepath.Join(dir, SingleFileName)
	if _, err := os.Stat(single); err == nil {
		return &layout{files: []string{single}}, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	index := filepath.Join(dir, IndexFileName)
	if _, err := os.Stat(index); err == nil {
		return readIndexLayout(dir, index)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	matches, err := filepath.Glob(filepath.Join(dir, "*.safetensors"))
	if err != nil {
		return nil, fmt.Errorf("safetensors: %s: %w", dir, err)
	}
	sort.Strings(matches)
	switch len(matches) {
	case 0:
		return nil, fmt.Errorf("safetensors: %s: looked for %s, %s and *.safetensors: %w", dir, SingleFileName, IndexFileName, ErrNoWeights)
	case 1:
		return &layout{files: matches}, nil
	}
	names := make([]string, len(matches))
	for i, m := range matches {
		names[i] = filepath.Base(m)
	}
	return nil, fmt.Errorf("safetensors: %s: no %s or %s, and several *.safetensors files (%s): cannot tell which are the weights", dir, SingleFileName, IndexFileName, strings.Join(names, ", "))
}

// readIndexLayout reads a sharded index and checks that every shard it names
// is a file inside dir.
func readIndexLayout(dir, index string) (*layout, error) {
	wm, err := readIndexFile(index)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %s: %w", index, err)
	}
	l := &layout{weightMap: make(map[string]string, len(wm))}
	paths := make(map[string]string) // shard name in the index -> path
	for tensor, shard := range wm {
		p, ok := paths[shard]
		if !ok {
			// Shard names come from a downloaded file: keep them inside
			// the folder.
			if !filepath.IsLocal(shard) {
				return nil, fmt.Errorf("safetensors: %s: tensor %q: shard %q is not a file name inside the model folder", index, tensor, shard)
			}
			p = filepath.Join(dir, shard)
			st, err := os.Stat(p)
			if err != nil {
				return nil, fmt.Errorf("safetensors: %s: tensor %q: shard %q: %w", index, tensor, shard, err)
			}
			if !st.Mode().IsRegular() {
				return nil, fmt.Errorf("safetensors: %s: tensor %q: shard %s is not a regular file", index, tensor, p)
			}
			paths[shard] = p
			l.files = append(l.files, p)
		}
		l.weightMap[tensor] = p
	}
	if len(l.files) == 0 {
		return nil, fmt.Errorf("safetensors: %s: weight_map is empty: %w", index, ErrNoWeights)
	}
	sort.Strings(l.files)
	return l, nil
}

// checkWeightMap verifies that every tensor the index places in a shard is
// really in that shard's header.
func checkWeightMap(weightMap map[string]string, headers map[string]*Header) error {
	names := make([]string, 0, len(weightMap))
	for name := range weightMap {
		names = append(names, name)
	}
	sort.Strings(names) // the first error reported is the same every run
	for _, name := range names {
		p := weightMap[name]
		if _, ok := headers[p].Lookup(name); !ok {
			return fmt.Errorf("safetensors: %s lists tensor %q in %s, but that shard has no such tensor", IndexFileName, name, p)
		}
	}
	return nil
}
