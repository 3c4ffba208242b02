// Package serving decides which models this server offers (Catalog), owns
// their lifecycle (Manager: loading on demand, LRU eviction under
// max_loaded_models and a memory budget, pins, keep-alive, load timeouts)
// and runs requests on them (Service: generation, embeddings,
// classification, reranking, tokenization, each request holding a lease on
// its model for its whole run, behind a per-model circuit breaker and
// concurrency bound when configured: see guard.go).
//
// This file holds the Catalog: the set of models that are configured and
// resolved to a local folder, known before any of them is loaded.
package serving

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
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

// Catalog is an immutable, ordered set of entries with unique names. It is
// safe for concurrent use.
type Catalog struct {
	entries []Entry
	byName  map[string]int
}

// NewCatalog checks that names are unique and non-empty and keeps the order
// given.
func NewCatalog(entries []Entry) (*Catalog, error) {
	c := &Catalog{entries: append([]Entry(nil), entries...), byName: make(map[string]int, len(entries))}
	for i, e := range c.entries {
		if e.Name == "" {
			return nil, fmt.Errorf("serving: model at %s has an empty name", e.Dir)
		}
		if j, dup := c.byName[e.Name]; dup {
			return nil, fmt.Errorf("serving: two models named %q (%s and %s); give one an alias with name=REF", e.Name, c.entries[j].Dir, e.Dir)
		}
		if err := e.CheckOverrides(); err != nil {
			return nil, err
		}
		c.byName[e.Name] = i
	}
	return c, nil
}

// Entries returns the entries in configuration order.
func (c *Catalog) Entries() []Entry { return append([]Entry(nil), c.entries...) }

// Lookup finds an entry by name.
func (c *Catalog) Lookup(name string) (Entry, bool) {
	i, ok := c.byName[name]
	if !ok {
		return Entry{}, false
	}
	return c.entries[i], true
}

// Models lists the catalog in the OpenAI shape, sorted by id for stable output.
func (c *Catalog) Models(context.Context) []api.Model {
	out := make([]api.Model, 0, len(c.entries))
	for _, e := range c.entries {
		out = append(out, api.Model{ID: e.Name, Object: "model", Created: e.Created.Unix(), OwnedBy: "hfserve"})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

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
