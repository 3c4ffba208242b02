package hub

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// PullOptions say what to pull.
type PullOptions struct {
	Repo string
	// Revision is a branch, tag or commit; empty is "main".
	Revision string
	// Selection chooses the files; the zero value is the default choice
	// (see Selection.Select).
	Selection Selection
	// Progress receives the pull's events, one at a time; nil discards
	// them. It must not block for long: downloads wait for it.
	Progress func(PullEvent)
}

// Pull downloads a repo revision into cache, in huggingface_hub's layout,
// and returns its snapshot. As snapshot_download does, it asks the Hub for
// the revision's commit and files, then fetches each selected file (a
// HEAD of /{repo}/resolve/{commit}/{path} for its ETag and location, then
// the content into blobs/<etag>.incomplete, resumed with Range when a
// previous attempt left one), at most Concurrency files at once.
//
// Unlike snapshot_download it never leaves a snapshot that looks complete
// but is not: each blob is checked (size, and sha256 or git sha1) before it
// is renamed into place; the snapshot's symlinks are made only once every
// blob is there, in a hidden folder renamed to snapshots/<commit> (or
// added to an existing snapshot one by one, each atomically); refs/<revision>
// is written last. A pull interrupted at any point resumes where it
// stopped. Blobs are locked as huggingface_hub locks them
// (.locks/<repo folder>/<etag>.lock), so concurrent pulls, in this process
// or another, do not corrupt each other.
func (c *Client) Pull(ctx context.Context, cache Cache, opts PullOptions) (Snapshot, error) {
	repo, revision := opts.Repo, opts.Revision
	if revision == "" {
		revision = DefaultRevision
	}
	info, err := c.RepoInfo(ctx, repo, revision)
	if err != nil {
		return Snapshot{}, err
	}
	files, err := opts.Selection.Select(info, repo)
	if err != nil {
		return Snapshot{}, err
	}
	commit := info.Commit
	repoDir := cache.RepoDir(repo)
	blobsDir := filepath.Join(repoDir, "blobs")
	if err := os.MkdirAll(blobsDir, 0o755); err != nil {
		return Snapshot{}, fmt.Errorf("hub: creating %s: %w", blobsDir, err)
	}
	tr := newTracker(opts.Progress, orDefault(c.ProgressInterval, DefaultProgressInterval),
		PullEvent{Repo: repo, Revision: revision, Commit: commit})
	tr.resolved(files)
	if err := c.checkSpace(blobsDir, files); err != nil {
		return Snapshot{}, err
	}
	etags, err := c.fetchAll(ctx, cache, repo, commit, files, tr)
	if err != nil {
		return Snapshot{}, err
	}
	snapDir, err := linkSnapshot(repoDir, commit, etags)
	if err != nil {
		return Snapshot{}, err
	}
	if revision != commit {
		if err := writeRef(repoDir, revision, commit); err != nil {
			return Snapshot{}, err
		}
	}
	tr.done(snapDir)
	return Snapshot{Repo: repo, Revision: revision, Commit: commit, Dir: snapDir}, nil
}

// Download implements Downloader: a Pull of the default files, with the
// Client's Progress.
func (c *Client) Download(ctx context.Context, cache Cache, repo, revision string) (Snapshot, error) {
	return c.Pull(ctx, cache, PullOptions{Repo: repo, Revision: revision, Progress: c.Progress})
}

// fetchAll brings every file's blob into the cache, Concurrency at a time,
// and returns path → etag. The first failure cancels the others.
func (c *Client) fetchAll(ctx context.Context, cache Cache, repo, commit string, files []RepoFile, tr *tracker) (map[string]string, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		mu    sync.Mutex
		etags = make(map[string]string, len(files))
		first error
		wg    sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if first == nil {
			first = err
			cancel(err)
		}
	}
	sem := make(chan struct{}, orDefault(c.Concurrency, DefaultConcurrency))
	lockDir := filepath.Join(cache.Dir, ".locks", RepoFolderName(repo))
	for _, f := range files {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			etag, err := c.fetchFile(ctx, cache, repo, commit, f, lockDir, tr)
			if err != nil {
				fail(err)
				return
			}
			mu.Lock()
			etags[f.Path] = etag
			mu.Unlock()
		}()
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("hub: pulling %s: %w", repo, err)
	}
	return etags, nil
}

// fetchFile resolves one file's metadata and fetches its blob.
func (c *Client) fetchFile(ctx context.Context, cache Cache, repo, commit string, f RepoFile, lockDir string, tr *tracker) (string, error) {
	meta, err := c.fileMetadata(ctx, repo, commit, f.Path)
	if err != nil {
		return "", err
	}
	if meta.Commit != "" && meta.Commit != commit {
		return "", fmt.Errorf("hub: %s: %s resolved to commit %s, the repo info said %s (the repo changed during the pull; pull again)",
			repo, f.Path, meta.Commit, commit)
	}
	if meta.Size < 0 {
		meta.Size = f.Size
	}
	j := blobJob{repo: repo, revision: commit, path: f.Path, meta: meta,
		blob: filepath.Join(cache.RepoDir(repo), "blobs", meta.ETag),
		lock: filepath.Join(lockDir, meta.ETag+".lock")}
	if err := c.fetchBlob(ctx, j, tr); err != nil {
		return "", err
	}
	return meta.ETag, nil
}

// checkSpace refuses a pull whose missing bytes exceed the free space of
// the cache's file system, before anything is downloaded.
func (c *Client) checkSpace(blobsDir string, files []RepoFile) error {
	free := diskFree
	if c.freeSpace != nil {
		free = c.freeSpace
	}
	avail, err := free(blobsDir)
	if err != nil || avail < 0 {
		return nil // unknown: a full disk shows when a write fails
	}
	var need int64
	for _, f := range files {
		etag := f.ETag()
		if f.Size <= 0 || etag == "" {
			continue
		}
		blob := filepath.Join(blobsDir, etag)
		if _, err := os.Stat(blob); err == nil {
			continue
		}
		need += f.Size
		if info, err := os.Stat(blob + incompleteSuffix); err == nil {
			need -= min(info.Size(), f.Size)
		}
	}
	if need > avail {
		return &DiskFullError{Dir: blobsDir, Need: need, Free: avail}
	}
	return nil
}
