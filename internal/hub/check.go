package hub

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Well-known file names of a Hugging Face model folder.
const (
	ConfigFile           = "config.json"
	SafetensorsFile      = "model.safetensors"
	SafetensorsIndexFile = "model.safetensors.index.json"
)

// maxCheckDepth bounds how deep CheckModelDir looks for broken symlinks:
// model folders nest one or two levels (1_Pooling/config.json, onnx/...).
const maxCheckDepth = 3

// maxIndexSize bounds model.safetensors.index.json; real ones are a few MB
// even for the largest checkpoints.
const maxIndexSize = 64 << 20

// otherWeightPatterns are weight formats hfserve cannot read, named in the
// error when a folder has no safetensors so the user knows what is there.
var otherWeightPatterns = [...]string{"*.bin", "*.pt", "*.pth", "*.h5", "*.msgpack", "*.onnx", "*.gguf", "*.ckpt"}

// CheckModelDir checks that dir holds a model hfserve can load without
// reading the weights: config.json is there, every symlink resolves, and
// safetensors weights are present (model.safetensors or any *.safetensors,
// or an index whose shards all exist). All problems found are reported
// together in one *IncompleteModelError.
func CheckModelDir(dir string) error {
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &NotFoundError{What: MissingFolder, Path: dir}
	case err != nil:
		return fmt.Errorf("hub: model folder: %w", err)
	case !info.IsDir():
		return fmt.Errorf("hub: model path %s is a file, not a folder", dir)
	}
	problem := &IncompleteModelError{Dir: dir}
	broken, err := brokenLinks(dir)
	if err != nil {
		return fmt.Errorf("hub: checking model folder %s: %w", dir, err)
	}
	problem.Broken = broken
	isBroken := func(name string) bool {
		return slices.ContainsFunc(broken, func(b BrokenLink) bool { return b.Name == name })
	}
	if !fileExists(filepath.Join(dir, ConfigFile)) && !isBroken(ConfigFile) {
		problem.Missing = append(problem.Missing, ConfigFile)
	}
	if err := checkWeights(dir, problem, isBroken); err != nil {
		return err
	}
	if len(problem.Missing) > 0 || len(problem.Broken) > 0 {
		return problem
	}
	return nil
}

// checkWeights adds to problem what is wrong with the folder's weights.
func checkWeights(dir string, problem *IncompleteModelError, isBroken func(string) bool) error {
	index := filepath.Join(dir, SafetensorsIndexFile)
	if fileExists(index) {
		shards, err := indexShards(index)
		if err != nil {
			return fmt.Errorf("hub: model folder %s: %w", dir, err)
		}
		for _, s := range shards {
			if !fileExists(filepath.Join(dir, s)) && !isBroken(s) {
				problem.Missing = append(problem.Missing, s+" (named by "+SafetensorsIndexFile+")")
			}
		}
		return nil
	}
	if isBroken(SafetensorsIndexFile) {
		return nil
	}
	found, err := filepath.Glob(filepath.Join(dir, "*.safetensors"))
	if err != nil {
		return fmt.Errorf("hub: model folder %s: %w", dir, err)
	}
	for _, f := range found {
		if fileExists(f) || isBroken(filepath.Base(f)) {
			return nil // a broken weights link is already reported
		}
	}
	problem.Missing = append(problem.Missing, "safetensors weights ("+SafetensorsFile+" or "+SafetensorsIndexFile+")")
	if others := otherWeights(dir); len(others) > 0 {
		problem.Note = "the folder has " + strings.Join(others, ", ") + ", but hfserve reads only safetensors"
	}
	return nil
}

// brokenLinks walks dir (not following symlinked folders, so loops cannot
// trap it) and returns every symlink whose target is missing.
func brokenLinks(dir string) ([]BrokenLink, error) {
	var broken []BrokenLink
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == dir {
				return err
			}
			return nil // an unreadable subfolder holds nothing hfserve loads
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if rel != "." && strings.Count(filepath.ToSlash(rel), "/")+1 >= maxCheckDepth {
				return fs.SkipDir
			}
			return nil
		}
		if d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			target, _ := os.Readlink(path)
			broken = append(broken, BrokenLink{Name: filepath.ToSlash(rel), Target: target})
		}
		return nil
	})
	return broken, err
}

// indexShards reads the shard file names of a sharded checkpoint's index.
func indexShards(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var index struct {
		WeightMap map[string]string `json:"weight_map"`
	}
	dec := json.NewDecoder(io.LimitReader(f, maxIndexSize))
	if err := dec.Decode(&index); err != nil {
		return nil, fmt.Errorf("%s: %w", SafetensorsIndexFile, err)
	}
	if len(index.WeightMap) == 0 {
		return nil, fmt.Errorf("%s: no weight_map entries", SafetensorsIndexFile)
	}
	var shards []string
	for _, s := range index.WeightMap {
		if !filepath.IsLocal(s) {
			return nil, fmt.Errorf("%s: shard %q is outside the model folder", SafetensorsIndexFile, s)
		}
		if !slices.Contains(shards, s) {
			shards = append(shards, s)
		}
	}
	slices.Sort(shards)
	return shards, nil
}

// otherWeights names the non-safetensors weight files at the top of dir.
func otherWeights(dir string) []string {
	var names []string
	for _, pattern := range otherWeightPatterns {
		found, _ := filepath.Glob(filepath.Join(dir, pattern))
		for _, f := range found {
			names = append(names, filepath.Base(f))
		}
	}
	slices.Sort(names)
	return names
}

// fileExists reports whether path resolves to a regular file.
func fileExists(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular()
}
