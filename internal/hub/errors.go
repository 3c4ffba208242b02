package hub

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotFound matches (with errors.Is) every [*NotFoundError].
var ErrNotFound = errors.New("hub: model not found")

// ErrIncomplete matches (with errors.Is) every [*IncompleteModelError].
var ErrIncomplete = errors.New("hub: model folder incomplete")

// Missing says which step of a lookup found nothing.
type Missing int

const (
	// MissingCache: the cache folder itself does not exist.
	MissingCache Missing = iota
	// MissingRepo: the cache has no models--org--name folder for the repo.
	MissingRepo
	// MissingRevision: the repo has no refs/<revision> file and the
	// revision is not a commit hash.
	MissingRevision
	// MissingSnapshot: the revision names a commit whose snapshots/<commit>
	// folder is not there.
	MissingSnapshot
	// MissingFolder: a path reference names nothing on disk.
	MissingFolder
)

// NotFoundError says what was looked for, where, and what was there instead.
type NotFoundError struct {
	What     Missing
	Repo     string // the repo id; empty for MissingFolder
	Revision string // the revision asked for
	Commit   string // for MissingSnapshot: the commit the revision points to
	Path     string // the file or folder that was looked for
	// Present lists what the looked-in folder holds instead: repo ids for
	// MissingRepo, ref names for MissingRevision, snapshot commits for
	// MissingSnapshot.
	Present []string
}

// maxListed bounds how many alternatives an error message lists.
const maxListed = 20

func (e *NotFoundError) Error() string {
	model := e.Repo
	if e.Revision != "" && e.Revision != DefaultRevision {
		model += "@" + e.Revision
	}
	switch e.What {
	case MissingCache:
		return fmt.Sprintf("hub: model %q is not in the Hugging Face cache: the cache folder %s does not exist "+
			"(HF_HUB_CACHE or HF_HOME choose another; `huggingface-cli download %s` fills it)", model, e.Path, e.Repo)
	case MissingRepo:
		return fmt.Sprintf("hub: model %q is not in the Hugging Face cache: no folder %s (%s; `huggingface-cli download %s` fetches it)",
			model, e.Path, listing("the cache holds", "the cache holds no models", e.Present), e.Repo)
	case MissingRevision:
		return fmt.Sprintf("hub: model %q: revision %q is not in the cache: no file %s and it is not a commit hash (%s)",
			model, e.Revision, e.Path, listing("refs present", "no refs present", e.Present))
	case MissingSnapshot:
		return fmt.Sprintf("hub: model %q: revision %q points to commit %s, but its snapshot folder %s is missing (%s)",
			model, e.Revision, e.Commit, e.Path, listing("snapshots present", "no snapshots present", e.Present))
	case MissingFolder:
		return fmt.Sprintf("hub: model folder %s does not exist", e.Path)
	default:
		return fmt.Sprintf("hub: %s not found", e.Path)
	}
}

// Is makes errors.Is(err, ErrNotFound) true.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// listing formats a bounded list of alternatives for an error message.
func listing(label, empty string, items []string) string {
	if len(items) == 0 {
		return empty
	}
	shown := items
	if len(shown) > maxListed {
		shown = shown[:maxListed]
	}
	s := label + ": " + strings.Join(shown, ", ")
	if more := len(items) - len(shown); more > 0 {
		s += fmt.Sprintf(" and %d more", more)
	}
	return s
}

// BrokenLink is a symlink in a model folder whose target does not exist.
type BrokenLink struct {
	Name   string // path relative to the model folder
	Target string // the link's target as written
}

// IncompleteModelError says why a model folder that exists cannot be loaded.
type IncompleteModelError struct {
	Dir     string
	Missing []string     // required files that are absent, relative to Dir
	Broken  []BrokenLink // symlinks whose target is missing
	// Note adds context, e.g. which other weight formats the folder has.
	Note string
}

func (e *IncompleteModelError) Error() string {
	var parts []string
	for _, m := range e.Missing {
		parts = append(parts, m+" is missing")
	}
	for i, b := range e.Broken {
		if i == maxListed {
			parts = append(parts, fmt.Sprintf("%d more broken symlinks", len(e.Broken)-i))
			break
		}
		msg := fmt.Sprintf("%s is a broken symlink to %s", b.Name, b.Target)
		if strings.Contains(b.Target, "blobs/") {
			msg += " (the blob is missing: an interrupted download or a deleted blob; download the model again)"
		}
		parts = append(parts, msg)
	}
	if e.Note != "" {
		parts = append(parts, e.Note)
	}
	return fmt.Sprintf("hub: model folder %s is incomplete: %s", e.Dir, strings.Join(parts, "; "))
}

// Is makes errors.Is(err, ErrIncomplete) true.
func (e *IncompleteModelError) Is(target error) bool { return target == ErrIncomplete }
