package serving

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"hfserve/internal/builtin"
	"hfserve/internal/config"
	"hfserve/internal/hub"
)

// BuiltinRef is the model reference that names the model shipped inside the
// binary (also accepted as "builtin:" + builtin.Name).
const BuiltinRef = "builtin"

// Sources says where the catalog's models come from.
type Sources struct {
	Models    []config.ModelSpec // --model / models:
	ModelDirs []string           // --model-dir / model_dirs:
	Store     hub.Store          // the Hugging Face cache
	DataDir   string             // where the built-in model is unpacked
}

// BuildCatalog resolves every configured model to a local folder. With no
// models and no model folders configured it serves the built-in default
// model, so a bare `hfserve serve` is useful on a fresh machine. Any model
// that cannot be resolved fails the whole build: a server that silently
// starts without a model its operator asked for is worse than one that does
// not start.
func BuildCatalog(ctx context.Context, src Sources) (*Catalog, error) {
	var entries []Entry
	for _, spec := range src.Models {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		e, err := resolveSpec(ctx, src, spec)
		if err != nil {
			return nil, err
		}
		if e.Builtin && spec.ChatTemplate == "" {
			spec.ChatTemplate = e.Spec.ChatTemplate
		}
		e.Spec = spec
		entries = append(entries, e)
	}
	for _, root := range src.ModelDirs {
		dirs, err := hub.FindModelDirs(root)
		if err != nil {
			return nil, fmt.Errorf("serving: model dir %s: %w", root, err)
		}
		for _, dir := range dirs {
			name, err := filepath.Rel(root, dir)
			if err != nil || name == "." {
				name = filepath.Base(dir)
			}
			e, err := newEntry(filepath.ToSlash(name), dir, dir, "")
			if err != nil {
				return nil, err
			}
			entries = append(entries, e)
		}
	}
	if len(src.Models) == 0 && len(src.ModelDirs) == 0 {
		e, err := builtinEntry(src.DataDir, builtin.Name)
		if err != nil {
			return nil, err
		}
		entries = append(entries, e)
	}
	return NewCatalog(entries)
}

func isBuiltinRef(ref string) bool {
	return ref == BuiltinRef || ref == BuiltinRef+":"+builtin.Name
}

func builtinEntry(dataDir, name string) (Entry, error) {
	dir, err := builtin.Materialize(dataDir)
	if err != nil {
		return Entry{}, fmt.Errorf("serving: built-in model: %w", err)
	}
	e, err := newEntry(name, BuiltinRef, dir, "")
	if err != nil {
		return Entry{}, err
	}
	e.Builtin = true
	e.Spec.ChatTemplate = builtin.ChatTemplate
	return e, nil
}

func resolveSpec(ctx context.Context, src Sources, spec config.ModelSpec) (Entry, error) {
	if isBuiltinRef(spec.Ref) {
		name := spec.Name
		if name == "" {
			name = builtin.Name
		}
		return builtinEntry(src.DataDir, name)
	}
	refText := spec.Ref
	if spec.Name != "" && !strings.Contains(refText, "=") {
		refText = spec.Name + "=" + refText
	}
	ref, err := hub.ParseRef(refText)
	if err != nil {
		return Entry{}, fmt.Errorf("serving: model %q: %w", spec.Ref, err)
	}
	local, err := src.Store.Resolve(ctx, ref)
	if err != nil {
		return Entry{}, fmt.Errorf("serving: model %q: %w", ref.Name(), err)
	}
	return newEntry(ref.Name(), ref.String(), local.Dir, local.Commit)
}
