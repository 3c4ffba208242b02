package hub

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Cache is a Hugging Face hub cache folder (see [CacheDir]) in the layout
// huggingface_hub writes:
//
//	<Dir>/models--{org}--{name}/
//	    blobs/<etag>                  file contents, named by ETag (sha256 for LFS files)
//	    snapshots/<commit>/<file>     symlinks to ../../blobs/<etag>, one folder per commit
//	    refs/<revision>               a file holding the commit a branch or tag points to
//
// A legacy repo id without an org ("gpt2") lives in models--gpt2, and a
// revision with slashes ("refs/pr/1") is a nested file under refs/. The zero
// value looks in the current folder; build one with CacheDir.
type Cache struct {
	Dir string
}

// Snapshot is one revision of a repo present in the cache.
type Snapshot struct {
	Repo     string
	Revision string // as asked for (or, from List, a ref pointing here; else the commit)
	Commit   string // the 40-hex commit hash
	Dir      string // <cache>/models--org--name/snapshots/<commit>
}

// repoFolderPrefix is the folder name prefix of model repos; datasets and
// spaces share the cache under other prefixes, which hfserve ignores.
const repoFolderPrefix = "models--"

// RepoFolderName is the cache folder of a model repo, as huggingface_hub's
// repo_folder_name: "org/name" → "models--org--name".
func RepoFolderName(repo string) string {
	return repoFolderPrefix + strings.ReplaceAll(repo, "/", "--")
}

// repoIDFromFolder inverts RepoFolderName; ok is false for folders that are
// not model repos or do not decode to a valid repo id.
func repoIDFromFolder(folder string) (string, bool) {
	rest, ok := strings.CutPrefix(folder, repoFolderPrefix)
	if !ok {
		return "", false
	}
	id := strings.Replace(rest, "--", "/", 1)
	if ValidateRepoID(id) != nil {
		return "", false
	}
	return id, true
}

// IsCommitHash reports whether rev is a full git commit hash as the Hub uses
// them (40 lowercase hex digits, huggingface_hub's REGEX_COMMIT_HASH).
func IsCommitHash(rev string) bool {
	if len(rev) != 40 {
		return false
	}
	for _, c := range []byte(rev) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// RepoDir is the cache folder of repo.
func (c Cache) RepoDir(repo string) string {
	return filepath.Join(c.Dir, RepoFolderName(repo))
}

// Resolve finds the snapshot folder of repo at revision, as huggingface_hub's
// try_to_load_from_cache does: refs/<revision> names the commit; failing
// that, a revision that is itself a commit hash names the snapshot directly.
// It does not look inside the snapshot (Store.Resolve does). Errors are
// *NotFoundError saying which step failed and what the cache holds instead.
func (c Cache) Resolve(repo, revision string) (Snapshot, error) {
	if revision == "" {
		revision = DefaultRevision
	}
	if err := ValidateRepoID(repo); err != nil {
		return Snapshot{}, fmt.Errorf("hub: %w", err)
	}
	if err := ValidateRevision(revision); err != nil {
		return Snapshot{}, fmt.Errorf("hub: %s: %w", repo, err)
	}
	repoDir := c.RepoDir(repo)
	if err := c.checkRepoDir(repo, revision, repoDir); err != nil {
		return Snapshot{}, err
	}
	commit, err := c.commitFor(repo, revision, repoDir)
	if err != nil {
		return Snapshot{}, err
	}
	snap := Snapshot{Repo: repo, Revision: revision, Commit: commit, Dir: filepath.Join(repoDir, "snapshots", commit)}
	switch info, err := os.Stat(snap.Dir); {
	case err == nil && info.IsDir():
		return snap, nil
	case err == nil:
		return Snapshot{}, fmt.Errorf("hub: %s@%s: snapshot %s is not a folder", repo, revision, snap.Dir)
	case errors.Is(err, fs.ErrNotExist):
		present, _ := listNames(filepath.Join(repoDir, "snapshots"), true)
		return Snapshot{}, &NotFoundError{What: MissingSnapshot, Repo: repo, Revision: revision, Commit: commit, Path: snap.Dir, Present: present}
	default:
		return Snapshot{}, fmt.Errorf("hub: %s@%s: %w", repo, revision, err)
	}
}

// checkRepoDir returns a NotFoundError naming what the cache holds when the
// repo folder (or the cache itself) is missing.
func (c Cache) checkRepoDir(repo, revision, repoDir string) error {
	info, err := os.Stat(repoDir)
	if err == nil {
		if !info.IsDir() {
			return fmt.Errorf("hub: %s: %s is not a folder", repo, repoDir)
		}
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("hub: %s: %w", repo, err)
	}
	if _, err := os.Stat(c.Dir); errors.Is(err, fs.ErrNotExist) {
		return &NotFoundError{What: MissingCache, Repo: repo, Revision: revision, Path: c.Dir}
	}
	present, err := c.repoIDs()
	if err != nil {
		return fmt.Errorf("hub: %s: listing the cache: %w", repo, err)
	}
	return &NotFoundError{What: MissingRepo, Repo: repo, Revision: revision, Path: repoDir, Present: present}
}

// maxRefFileSize bounds what is read from a refs/ file: it holds one hash.
const maxRefFileSize = 1024

// commitFor reads refs/<revision>, or accepts a commit hash as is.
func (c Cache) commitFor(repo, revision, repoDir string) (string, error) {
	refFile := filepath.Join(repoDir, "refs", filepath.FromSlash(revision))
	commit, err := readRef(refFile)
	switch {
	case err == nil:
		return commit, nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("hub: %s@%s: %w", repo, revision, err)
	case IsCommitHash(revision):
		return revision, nil
	}
	refs, _ := readRefs(filepath.Join(repoDir, "refs"))
	present := make([]string, 0, len(refs))
	for name := range refs {
		present = append(present, name)
	}
	sort.Strings(present)
	return "", &NotFoundError{What: MissingRevision, Repo: repo, Revision: revision, Path: refFile, Present: present}
}

// readRef reads one refs/ file; its content must be a commit hash, since it
// becomes a path under snapshots/.
func readRef(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if info, err := f.Stat(); err == nil && info.IsDir() {
		// refs/refs/pr/1 makes refs/refs a folder; it names no revision.
		return "", &fs.PathError{Op: "read", Path: path, Err: fs.ErrNotExist}
	}
	b, err := io.ReadAll(io.LimitReader(f, maxRefFileSize+1))
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	commit := strings.TrimSpace(string(b))
	if !IsCommitHash(commit) {
		return "", fmt.Errorf("ref file %s does not hold a commit hash (%d bytes)", path, len(b))
	}
	return commit, nil
}

// readRefs reads every ref under a refs/ folder: name (slash-separated,
// relative to refs/) → commit. Unreadable or malformed refs are skipped;
// a missing folder is an empty set.
func readRefs(refsDir string) (map[string]string, error) {
	refs := map[string]string{}
	err := filepath.WalkDir(refsDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == refsDir && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		rel, err := filepath.Rel(refsDir, path)
		if err != nil {
			return err
		}
		if commit, err := readRef(path); err == nil {
			refs[filepath.ToSlash(rel)] = commit
		}
		return nil
	})
	return refs, err
}

// repoIDs lists the model repos in the cache, sorted.
func (c Cache) repoIDs() ([]string, error) {
	names, err := listNames(c.Dir, true)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, n := range names {
		if id, ok := repoIDFromFolder(n); ok {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// listNames lists a folder's entries (only folders when dirsOnly), sorted,
// skipping hidden ones such as .locks.
func listNames(dir string, dirsOnly bool) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if dirsOnly && !isDirEntry(dir, e) {
			continue
		}
		names = append(names, e.Name())
	}
	return names, nil
}

// isDirEntry reports whether e is a folder, following a symlink.
func isDirEntry(dir string, e fs.DirEntry) bool {
	if e.IsDir() {
		return true
	}
	if e.Type()&fs.ModeSymlink == 0 {
		return false
	}
	info, err := os.Stat(filepath.Join(dir, e.Name()))
	return err == nil && info.IsDir()
}
