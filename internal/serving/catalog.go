// Package serving decides which models this server offers (Catalog), owns
// their lifecycle (Manager: loading on demand, LRU eviction under
// max_loaded_models and a memory budget, pins, keep-alive, load timeouts)
// and runs requests on them (Service: generation, embeddings,
// classification, reranking, tokenization, each request holding a lease on
// its model for its whole run, behind a per-model circuit breaker and
// concurrency bound when configured: see guard.go).
//
// This file holds the Catalog: the set of models that are configured and
// resolved to a local folder, known before any of them is loaded, plus
// those added while the server runs (Service.AddModel: a model pulled
// through the admin API).
package serving

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"hfserve/api"
	"hfserve/internal/config"
	"hfserve/internal/skills"
)

// Entry is one servable model: a name clients use, and the folder it lives in.
type Entry struct {
	// Name is the id clients send in "model" fields.
	Name string
	// Ref is the reference it was configured with (a path, org/name@rev, or
	// "builtin").
	Ref string
	// Dir is the resolved local model folder.
	Dir string
	// Commit is the Hub commit of the snapshot, empty for plain folders.
	Commit string
	// Builtin marks the model shipped inside the binary.
	Builtin bool
	// Detection is what the skills registry found the folder can do.
	Detection skills.Detection
	// Created is when the folder's config.json was written, reported as the
	// OpenAI model's "created" time.
	Created time.Time
	// Spec is the configuration the model was listed with; zero for
	// folders found under model_dirs and for the default built-in model.
	// The Manager takes its per-model policy (pinned, keep_alive, preload)
	// from it.
	Spec config.ModelSpec
}

// ErrModelExists is matched (errors.Is) by the error of adding a model
// under a name the catalog already holds.
var ErrModelExists = errors.New("serving: a model with that name is already served")

// Catalog is an ordered set of entries with unique names that only grows:
// the entries configured at start-up, then any added at run time (Add,
// through Service.AddModel), appended in the order added. An entry, once
// in, never changes or leaves. It is safe for concurrent use.
//
// Copy-on-write: every request reads the catalog (Lookup, the listing of
// /v1/models) and almost nothing writes it (an admin pull now and then),
// so readers load an immutable snapshot through an atomic pointer, never
// take a lock and never wait behind a writer, and a reader that iterates
// sees one consistent set. Writers copy the snapshot, append and publish
// the copy, one at a time.
type Catalog struct {
	snap atomic.Pointer[catalogSnapshot]
	mu   sync.Mutex // serialises writers; readers never take it
}

// catalogSnapshot is one immutable state of a Catalog: nothing modifies
// it once published.
type catalogSnapshot struct {
	entries []Entry
	byName  map[string]int
}

// NewCatalog checks that names are unique and non-empty and keeps the order
// given.
func NewCatalog(entries []Entry) (*Catalog, error) {
	snap := &catalogSnapshot{byName: make(map[string]int, len(entries))}
	for _, e := range entries {
		if err := snap.check(e); err != nil {
			return nil, err
		}
		snap.byName[e.Name] = len(snap.entries)
		snap.entries = append(snap.entries, e)
	}
	c := &Catalog{}
	c.snap.Store(snap)
	return c, nil
}

// check reports why e cannot join the snapshot: an empty name, a taken
// one (wrapping ErrModelExists), or overrides its model cannot serve.
func (snap *catalogSnapshot) check(e Entry) error {
	if e.Name == "" {
		return fmt.Errorf("serving: model at %s has an empty name", e.Dir)
	}
	if j, dup := snap.byName[e.Name]; dup {
		return fmt.Errorf("serving: two models named %q (%s and %s); give one an alias with name=REF: %w",
			e.Name, snap.entries[j].Dir, e.Dir, ErrModelExists)
	}
	return e.CheckOverrides()
}

// add appends e, checked as NewCatalog checks its entries, and publishes
// the new snapshot. Service.AddModel is the way in: an entry must reach
// the Manager and the Service's guards before the catalog publishes it.
func (c *Catalog) add(e Entry) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.snap.Load()
	if err := old.check(e); err != nil {
		return err
	}
	next := &catalogSnapshot{entries: make([]Entry, 0, len(old.entries)+1), byName: make(map[string]int, len(old.byName)+1)}
	next.entries = append(append(next.entries, old.entries...), e)
	for name, i := range old.byName {
		next.byName[name] = i
	}
	next.byName[e.Name] = len(old.entries)
	c.snap.Store(next)
	return nil
}

// Entries returns the entries in catalog order (configuration order, then
// the order they were added).
func (c *Catalog) Entries() []Entry { return append([]Entry(nil), c.snap.Load().entries...) }

// Lookup finds an entry by name.
func (c *Catalog) Lookup(name string) (Entry, bool) {
	snap := c.snap.Load()
	i, ok := snap.byName[name]
	if !ok {
		return Entry{}, false
	}
	return snap.entries[i], true
}

// Models lists the catalog in the OpenAI shape, sorted by id for stable output.
func (c *Catalog) Models(context.Context) []api.Model {
	entries := c.snap.Load().entries
	out := make([]api.Model, 0, len(entries))
	for _, e := range entries {
		out = append(out, api.Model{ID: e.Name, Object: "model", Created: e.Created.Unix(), OwnedBy: "hfserve"})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// NewEntry inspects a resolved model folder as start-up does (the skills
// registry's detection of what it can serve, its config.json's time) and
// builds its entry, for Service.AddModel. ref is what it was asked for as
// (org/name@rev, or a path) and commit its Hub commit ("" for a plain
// folder). The caller may set Spec before adding it.
func NewEntry(name, ref, dir, commit string) (Entry, error) { return newEntry(name, ref, dir, commit) }

// newEntry inspects a resolved folder and builds its entry.
func newEntry(name, ref, dir, commit string) (Entry, error) {
	det, err := skills.Detect(dir)
	if err != nil {
		return Entry{}, fmt.Errorf("serving: model %q: %w", name, err)
	}
	e := Entry{Name: name, Ref: ref, Dir: dir, Commit: commit, Detection: det}
	if fi, err := os.Stat(filepath.Join(dir, "config.json")); err == nil {
		e.Created = fi.ModTime()
	}
	return e, nil
}
