package hub

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Removed says what Cache.Remove deleted.
type Removed struct {
	Repo string
	// Snapshots are the commits whose snapshot folders were deleted.
	Snapshots []string
	// Refs are the refs deleted (they pointed at those commits).
	Refs []string
	// Blobs counts the blobs deleted; Bytes their size.
	Blobs int
	Bytes int64
	// RepoGone says the whole repo folder was deleted (nothing was left).
	RepoGone bool
}

// Remove deletes a model from the cache. With revision "" it deletes the
// whole repo folder (every snapshot, ref and blob) and its lock folder.
// With a revision (a ref or a commit) it deletes that commit's snapshot,
// every ref pointing at it, and the blobs no remaining snapshot links to;
// the repo folder goes too when no snapshot remains. A repo or revision the
// cache does not hold is a *NotFoundError: nothing is deleted.
func (c Cache) Remove(repo, revision string) (Removed, error) {
	out := Removed{Repo: repo}
	if err := ValidateRepoID(repo); err != nil {
		return out, fmt.Errorf("hub: %w", err)
	}
	repoDir := c.RepoDir(repo)
	if err := c.checkRepoDir(repo, revision, repoDir); err != nil {
		return out, err
	}
	refs, _ := readRefs(filepath.Join(repoDir, "refs"))
	if revision == "" {
		snaps, _ := listNames(filepath.Join(repoDir, "snapshots"), true)
		out.Snapshots = snaps
		out.Refs = slices.Sorted(maps.Keys(refs))
		out.Blobs, out.Bytes = countBlobs(filepath.Join(repoDir, "blobs"))
		if err := os.RemoveAll(repoDir); err != nil {
			return out, fmt.Errorf("hub: removing %s: %w", repoDir, err)
		}
		os.RemoveAll(filepath.Join(c.Dir, ".locks", RepoFolderName(repo)))
		out.RepoGone = true
		return out, nil
	}
	if err := ValidateRevision(revision); err != nil {
		return out, fmt.Errorf("hub: %s: %w", repo, err)
	}
	commit, err := c.commitFor(repo, revision, repoDir)
	if err != nil {
		return out, err
	}
	snapDir := filepath.Join(repoDir, "snapshots", commit)
	if _, err := os.Lstat(snapDir); errors.Is(err, fs.ErrNotExist) && refs[revision] == "" {
		present, _ := listNames(filepath.Join(repoDir, "snapshots"), true)
		return out, &NotFoundError{What: MissingSnapshot, Repo: repo, Revision: revision, Commit: commit, Path: snapDir, Present: present}
	}
	if err := os.RemoveAll(snapDir); err != nil {
		return out, fmt.Errorf("hub: removing %s: %w", snapDir, err)
	}
	out.Snapshots = []string{commit}
	for _, name := range slices.Sorted(maps.Keys(refs)) {
		if refs[name] != commit {
			continue
		}
		if err := os.Remove(filepath.Join(repoDir, "refs", filepath.FromSlash(name))); err != nil {
			return out, fmt.Errorf("hub: removing ref %s of %s: %w", name, repo, err)
		}
		out.Refs = append(out.Refs, name)
	}
	if err := c.removeUnusedBlobs(repoDir, &out); err != nil {
		return out, err
	}
	if remaining, _ := listNames(filepath.Join(repoDir, "snapshots"), true); len(remaining) == 0 {
		if err := os.RemoveAll(repoDir); err != nil {
			return out, fmt.Errorf("hub: removing %s: %w", repoDir, err)
		}
		os.RemoveAll(filepath.Join(c.Dir, ".locks", RepoFolderName(repo)))
		out.RepoGone = true
	}
	return out, nil
}

// removeUnusedBlobs deletes the blobs no snapshot links to. Partial
// downloads (*.incomplete) are left: a pull may be resuming them.
func (c Cache) removeUnusedBlobs(repoDir string, out *Removed) error {
	used := map[string]bool{}
	snapsDir := filepath.Join(repoDir, "snapshots")
	err := filepath.WalkDir(snapsDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == snapsDir && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		target, err := os.Readlink(path)
		if err != nil {
			return err
		}
		// Keyed by name only: a link anywhere that names a blob keeps it,
		// which errs on the side of keeping data.
		used[filepath.Base(target)] = true
		return nil
	})
	if err != nil {
		return fmt.Errorf("hub: reading the snapshots of %s: %w", repoDir, err)
	}
	blobsDir := filepath.Join(repoDir, "blobs")
	names, err := listNames(blobsDir, false)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("hub: listing %s: %w", blobsDir, err)
	}
	for _, name := range names {
		if used[name] || strings.HasSuffix(name, incompleteSuffix) {
			continue
		}
		path := filepath.Join(blobsDir, name)
		info, err := os.Lstat(path)
		if err != nil {
			continue
		}
		if err := os.Remove(path); err != nil {
			return fmt.Errorf("hub: removing blob %s: %w", path, err)
		}
		out.Blobs++
		out.Bytes += info.Size()
	}
	return nil
}

// countBlobs counts the files in a blobs folder and their bytes.
func countBlobs(dir string) (n int, bytes int64) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, 0
	}
	for _, e := range entries {
		if info, err := e.Info(); err == nil && info.Mode().IsRegular() {
			n++
			bytes += info.Size()
		}
	}
	return n, bytes
}
