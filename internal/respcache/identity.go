package respcache

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Bounds on the work ModelIdentity does for a folder without a commit.
const (
	identityMaxFiles     = 1000
	identityMaxFileBytes = 64 << 20 // larger non-weight files count by name and size
	identityMaxHeader    = 100 << 20
	identityMaxDepth     = 2 // the folder and one level below (1_Pooling/, ...)
)

// weightSuffixes are files whose content is too large to hash; safetensors
// files count by their header (names, dtypes, shapes, offsets), the others
// by name and size.
var weightSuffixes = []string{".safetensors", ".bin", ".pt", ".pth", ".gguf", ".onnx", ".h5", ".msgpack", ".gz"}

// ModelIdentity names a model's content, so that a key never outlives the
// weights and files it was computed with. With a Hub commit it is the
// commit: a snapshot never changes. Otherwise it is a SHA-256 over the
// folder's files up to one level down (hidden ones skipped): the content
// of the small files (config.json, tokenizer files, generation_config.json,
// chat templates, pooling configs) and, for weights, the safetensors
// header (or, for other weight formats, the size). Weights rewritten in
// place with the same shapes keep the identity; an operator who does that
// unloads the model, which invalidates its entries. overrides is the
// configuration's per-model settings that change answers (a chat template,
// pooling, a context limit); it is folded in either way. The caller
// computes this once per model: it reads every small file.
func ModelIdentity(dir, commit string, overrides []byte) (string, error) {
	h := sha256.New()
	put := func(b []byte) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	put(overrides)
	if commit != "" {
		put([]byte("commit:" + commit))
		return "c-" + hex.EncodeToString(h.Sum(nil))[:32], nil
	}
	files, err := identityFiles(dir)
	if err != nil {
		return "", err
	}
	for _, rel := range files {
		put([]byte(filepath.ToSlash(rel)))
		if err := hashFile(h, filepath.Join(dir, rel)); err != nil {
			return "", fmt.Errorf("respcache: model identity of %s: %w", dir, err)
		}
	}
	return "f-" + hex.EncodeToString(h.Sum(nil))[:32], nil
}

// identityFiles lists the regular files that make up a folder's identity,
// sorted, relative to dir.
func identityFiles(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		depth := strings.Count(filepath.ToSlash(rel), "/") + 1
		// Hub snapshots are symlinks into blobs/: follow them.
		fi, err := os.Stat(path)
		if err != nil {
			return err
		}
		if fi.IsDir() {
			if depth >= identityMaxDepth {
				return filepath.SkipDir
			}
			return nil
		}
		if !fi.Mode().IsRegular() {
			return nil
		}
		if len(files) == identityMaxFiles {
			return fmt.Errorf("more than %d files", identityMaxFiles)
		}
		files = append(files, rel)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("respcache: model identity of %s: %w", dir, err)
	}
	sort.Strings(files)
	return files, nil
}

// hashFile adds one file to h: its safetensors header, its size, or its
// content.
func hashFile(h io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	var size [8]byte
	binary.BigEndian.PutUint64(size[:], uint64(fi.Size()))
	h.Write(size[:])
	name := strings.ToLower(fi.Name())
	switch {
	case strings.HasSuffix(name, ".safetensors"):
		return hashSafetensorsHeader(h, f, fi.Size())
	case isWeightFile(name), fi.Size() > identityMaxFileBytes:
		return nil
	}
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func isWeightFile(name string) bool {
	for _, s := range weightSuffixes {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

// hashSafetensorsHeader adds the 8-byte header length and the JSON header
// that follows it; a file too short or with an absurd length counts by
// its size alone (the loader reports such a file, not the cache).
func hashSafetensorsHeader(h io.Writer, f *os.File, size int64) error {
	var n [8]byte
	if _, err := io.ReadFull(f, n[:]); err != nil {
		return nil
	}
	hlen := binary.LittleEndian.Uint64(n[:])
	if hlen > identityMaxHeader || int64(hlen) > size-8 {
		return nil
	}
	h.Write(n[:])
	if _, err := io.CopyN(h, f, int64(hlen)); err != nil {
		return fmt.Errorf("%s: %w", f.Name(), err)
	}
	return nil
}
