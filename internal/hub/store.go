package hub

import (
	"context"
	"errors"
	"fmt"
)

// Local is a model reference resolved to a folder on this machine.
type Local struct {
	Ref Ref
	// Dir is the model folder: the path of a path reference, or the
	// snapshot folder of a repo (its files are symlinks into blobs/).
	Dir string
	// Commit is the snapshot's commit hash; empty for a path reference.
	Commit string
}

// Downloader fetches a repo revision into a cache and returns its snapshot.
// It is the seam for Hub downloads: a Store with a Downloader asks it for any
// repo, revision or snapshot the cache does not hold. Implementations must
// leave the cache in huggingface_hub's layout and never leave a snapshot
// that looks complete but is not.
type Downloader interface {
	Download(ctx context.Context, cache Cache, repo, revision string) (Snapshot, error)
}

// Store resolves model references against the local Hugging Face cache. The
// zero value reads a cache in the current folder; set Cache from CacheDir.
type Store struct {
	Cache Cache
	// Downloader, if not nil, is asked for repos missing from the cache;
	// nil keeps the store offline (a missing repo is a *NotFoundError).
	Downloader Downloader
}

// Resolve turns ref into a local model folder and checks that the folder can
// be loaded (see CheckModelDir). A path must be a folder with a config.json;
// a repo is looked up in the cache (and downloaded when the store has a
// Downloader). Errors are *NotFoundError, *IncompleteModelError or wrapped
// I/O errors, each naming what was looked for where.
func (s Store) Resolve(ctx context.Context, ref Ref) (Local, error) {
	if err := ctx.Err(); err != nil {
		return Local{}, fmt.Errorf("hub: resolving %s: %w", ref, err)
	}
	switch {
	case ref.Path != "" && ref.Repo != "":
		return Local{}, fmt.Errorf("hub: reference %q names both a path and a repo", ref)
	case ref.Path != "":
		if err := CheckModelDir(ref.Path); err != nil {
			return Local{}, err
		}
		return Local{Ref: ref, Dir: ref.Path}, nil
	case ref.Repo != "":
		snap, err := s.snapshot(ctx, ref)
		if err != nil {
			return Local{}, err
		}
		if err := CheckModelDir(snap.Dir); err != nil {
			return Local{}, err // names the snapshot folder, hence the repo
		}
		return Local{Ref: ref, Dir: snap.Dir, Commit: snap.Commit}, nil
	default:
		return Local{}, errors.New("hub: empty model reference")
	}
}

// snapshot finds ref's snapshot in the cache, downloading it when it is
// missing and the store may download.
func (s Store) snapshot(ctx context.Context, ref Ref) (Snapshot, error) {
	snap, err := s.Cache.Resolve(ref.Repo, ref.Revision)
	if err == nil || s.Downloader == nil || !errors.Is(err, ErrNotFound) {
		return snap, err
	}
	snap, dlErr := s.Downloader.Download(ctx, s.Cache, ref.Repo, ref.Revision)
	if dlErr != nil {
		return Snapshot{}, fmt.Errorf("hub: %s is not in the cache and downloading it failed: %w", ref, dlErr)
	}
	return snap, nil
}
