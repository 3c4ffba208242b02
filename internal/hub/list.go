package hub

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"
)

// CachedModel is one model repo found in the cache, as `hfserve ls` shows it.
type CachedModel struct {
	Repo string
	Dir  string            // <cache>/models--org--name
	Refs map[string]string // revision name ("main", "refs/pr/1") → commit
	// Snapshots are sorted by commit; each Revision is a ref pointing at it
	// ("main" preferred) or, for a detached commit, the commit itself.
	Snapshots []Snapshot
	// SizeOnDisk counts every blob the snapshots use once, however many
	// snapshots link to it (huggingface_hub's scan_cache_dir does the same).
	SizeOnDisk int64
	// LastModified is the newest modification time of those blobs.
	LastModified time.Time
	// Problems describe damage found on the way (broken symlinks, refs to
	// missing snapshots); a model with problems is still listed.
	Problems []string
}

// List returns the model repos in the cache, sorted by repo id. A cache
// folder that does not exist is an empty cache, not an error; datasets,
// spaces and hidden folders are skipped.
func (c Cache) List() ([]CachedModel, error) {
	names, err := listNames(c.Dir, true)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("hub: listing the cache %s: %w", c.Dir, err)
	}
	var models []CachedModel
	for _, name := range names {
		repo, ok := repoIDFromFolder(name)
		if !ok {
			continue
		}
		m, err := c.scanRepo(repo)
		if err != nil {
			return nil, err
		}
		models = append(models, m)
	}
	sort.Slice(models, func(i, j int) bool { return models[i].Repo < models[j].Repo })
	return models, nil
}

// scanRepo reads one repo folder: refs, snapshots, and the blobs they use.
func (c Cache) scanRepo(repo string) (CachedModel, error) {
	dir := c.RepoDir(repo)
	m := CachedModel{Repo: repo, Dir: dir}
	refs, err := readRefs(filepath.Join(dir, "refs"))
	if err != nil {
		m.Problems = append(m.Problems, fmt.Sprintf("reading refs: %v", err))
	}
	m.Refs = refs
	snapDir := filepath.Join(dir, "snapshots")
	commits, err := listNames(snapDir, true)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return CachedModel{}, fmt.Errorf("hub: %s: listing snapshots: %w", repo, err)
	}
	refsTo := refsByCommit(refs)
	seen := map[string]bool{}
	for _, commit := range commits {
		snap := Snapshot{Repo: repo, Revision: commit, Commit: commit, Dir: filepath.Join(snapDir, commit)}
		if names := refsTo[commit]; len(names) > 0 {
			snap.Revision = names[0]
		}
		m.Snapshots = append(m.Snapshots, snap)
		m.Problems = append(m.Problems, m.addBlobs(snap, seen)...)
	}
	for _, name := range slices.Sorted(maps.Keys(refs)) {
		if !slices.Contains(commits, refs[name]) {
			m.Problems = append(m.Problems, fmt.Sprintf("refs/%s points to commit %s, whose snapshot is missing", name, refs[name]))
		}
	}
	return m, nil
}

// addBlobs adds the size and time of the files snap uses that were not seen
// in an earlier snapshot, and reports broken links.
func (m *CachedModel) addBlobs(snap Snapshot, seen map[string]bool) []string {
	var problems []string
	err := filepath.WalkDir(snap.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			problems = append(problems, err.Error())
			return nil
		}
		if d.IsDir() {
			return nil
		}
		info, err := os.Stat(path)
		if err != nil {
			rel, _ := filepath.Rel(snap.Dir, path)
			problems = append(problems, fmt.Sprintf("snapshot %s: %s: %v", snap.Commit, rel, brokenReason(path, err)))
			return nil
		}
		if info.IsDir() {
			return nil
		}
		real, err := filepath.EvalSymlinks(path)
		if err != nil {
			real = path
		}
		if seen[real] {
			return nil
		}
		seen[real] = true
		m.SizeOnDisk += info.Size()
		if info.ModTime().After(m.LastModified) {
			m.LastModified = info.ModTime()
		}
		return nil
	})
	if err != nil {
		problems = append(problems, err.Error())
	}
	return problems
}

// brokenReason words a failed Stat: for a symlink, name its target.
func brokenReason(path string, statErr error) string {
	if target, err := os.Readlink(path); err == nil && errors.Is(statErr, fs.ErrNotExist) {
		return fmt.Sprintf("broken symlink to %s", target)
	}
	return statErr.Error()
}

// refsByCommit inverts refs: commit → ref names, "main" first, then sorted.
func refsByCommit(refs map[string]string) map[string][]string {
	out := map[string][]string{}
	for _, name := range slices.Sorted(maps.Keys(refs)) {
		out[refs[name]] = append(out[refs[name]], name)
	}
	for commit, names := range out {
		sort.SliceStable(names, func(i, j int) bool { return names[i] == DefaultRevision && names[j] != DefaultRevision })
		out[commit] = names
	}
	return out
}
