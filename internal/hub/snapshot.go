package hub

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
)

// linkSnapshot makes snapshots/<commit>/<path> a relative symlink to
// ../../blobs/<etag> (one more ../ per folder level) for every file, as
// huggingface_hub's _create_symlink does. A new snapshot is built in a
// hidden folder and renamed into place, so it appears whole; files added
// to an existing snapshot are each linked atomically.
func linkSnapshot(repoDir, commit string, etags map[string]string) (string, error) {
	snapsDir := filepath.Join(repoDir, "snapshots")
	final := filepath.Join(snapsDir, commit)
	if err := os.MkdirAll(snapsDir, 0o755); err != nil {
		return "", fmt.Errorf("hub: creating %s: %w", snapsDir, err)
	}
	if _, err := os.Lstat(final); errors.Is(err, fs.ErrNotExist) {
		tmp := filepath.Join(snapsDir, "."+commit+".tmp-"+randomSuffix())
		if err := linkAll(repoDir, tmp, etags); err != nil {
			os.RemoveAll(tmp)
			return "", err
		}
		err := os.Rename(tmp, final)
		if err == nil {
			return final, nil
		}
		// A concurrent pull renamed its own first: add to that one.
		os.RemoveAll(tmp)
		if _, statErr := os.Lstat(final); statErr != nil {
			return "", fmt.Errorf("hub: creating the snapshot %s: %w", final, err)
		}
	}
	if err := linkAll(repoDir, final, etags); err != nil {
		return "", err
	}
	return final, nil
}

// linkAll links every file into snapDir.
func linkAll(repoDir, snapDir string, etags map[string]string) error {
	for _, path := range slices.Sorted(maps.Keys(etags)) {
		link := filepath.Join(snapDir, filepath.FromSlash(path))
		blob := filepath.Join(repoDir, "blobs", etags[path])
		if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
			return fmt.Errorf("hub: creating %s: %w", filepath.Dir(link), err)
		}
		// The target is relative to the link's folder; a hidden build
		// folder sits at the same depth as snapshots/<commit>.
		target, err := filepath.Rel(filepath.Dir(link), blob)
		if err != nil {
			return fmt.Errorf("hub: linking %s: %w", link, err)
		}
		if err := symlinkAtomic(target, link); err != nil {
			return fmt.Errorf("hub: linking %s: %w", link, err)
		}
	}
	return nil
}

// symlinkAtomic makes link point to target, replacing whatever is there
// in one rename; an identical link is left alone.
func symlinkAtomic(target, link string) error {
	if cur, err := os.Readlink(link); err == nil && cur == target {
		return nil
	}
	tmp := filepath.Join(filepath.Dir(link), "."+filepath.Base(link)+".tmp-"+randomSuffix())
	if err := os.Symlink(target, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, link); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// writeRef writes refs/<revision> holding commit with no newline, as
// huggingface_hub writes it, atomically.
func writeRef(repoDir, revision, commit string) error {
	path := filepath.Join(repoDir, "refs", filepath.FromSlash(revision))
	if cur, err := readRef(path); err == nil && cur == commit {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("hub: creating %s: %w", filepath.Dir(path), err)
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp-"+randomSuffix())
	if err := os.WriteFile(tmp, []byte(commit), 0o644); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("hub: writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("hub: writing %s: %w", path, err)
	}
	return nil
}

// randomSuffix names temporary files so that concurrent writers never
// share one.
func randomSuffix() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
