package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"hfserve/internal/builtin"
	"hfserve/internal/config"
	"hfserve/internal/hub"
	"hfserve/internal/serving"
	"hfserve/internal/skills"
)

// shownModel is what `hfserve show --json` prints.
type shownModel struct {
	Ref    string `json:"ref"`
	Commit string `json:"commit,omitempty"`
	skills.Info
}

func runShow(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "show", "show [--json] MODEL",
		"Describe a model without loading its weights: architecture, the tasks hfserve can serve\nwith it, dtype, parameter count, bytes on disk, context length and tokenizer.\nMODEL is a folder, an org/name[@revision] in the Hugging Face cache, or 'builtin'.")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("show: want exactly one MODEL, got %d arguments", fs.NArg())
	}
	refText := fs.Arg(0)
	shown := shownModel{Ref: refText}
	var dir string
	if refText == serving.BuiltinRef || refText == serving.BuiltinRef+":"+builtin.Name {
		dataDir, ok := e.lookupEnv("HFSERVE_DATA_DIR")
		if !ok {
			dataDir = config.Default().DataDir
		}
		d, err := builtin.Materialize(dataDir)
		if err != nil {
			return err
		}
		dir = d
	} else {
		ref, err := hub.ParseRef(refText)
		if err != nil {
			return usageError{err}
		}
		store := hub.Store{Cache: hub.Cache{Dir: hub.CacheDir(e.lookupEnv, e.homeDir)}}
		local, err := store.Resolve(ctx, ref)
		if err != nil {
			return err
		}
		dir, shown.Commit = local.Dir, local.Commit
	}
	info, err := skills.Inspect(dir)
	if err != nil {
		return err
	}
	shown.Info = info
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(shown)
	}
	printInfo(e, shown)
	return nil
}

func printInfo(e *env, s shownModel) {
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	row := func(k string, v any) { fmt.Fprintf(tw, "%s\t%v\n", k, v) }
	row("model", s.Ref)
	row("folder", s.Dir)
	if s.Commit != "" {
		row("commit", s.Commit)
	}
	row("architecture", orDash(s.Architecture))
	row("model type", orDash(s.ModelType))
	if s.Supported {
		var tasks []string
		for _, t := range s.Tasks {
			tasks = append(tasks, string(t))
		}
		row("tasks", strings.Join(tasks, ", "))
	} else {
		row("tasks", "none: "+s.Reason)
	}
	if s.Pooling != "" {
		row("pooling", fmt.Sprintf("%s (normalize: %v)", s.Pooling, s.Normalize))
	}
	if len(s.Labels) > 0 {
		row("labels", strings.Join(s.Labels, ", "))
	}
	row("dtype", orDash(s.DType))
	row("parameters", fmt.Sprintf("%d (%s)", s.Params, humanCount(s.Params)))
	row("weights", fmt.Sprintf("%s in %d file(s)", humanBytes(s.WeightBytes), s.WeightFiles))
	row("on disk", humanBytes(s.DiskBytes))
	row("context length", s.ContextLength)
	if s.Layers > 0 {
		row("shape", fmt.Sprintf("%d layers, hidden %d, %d heads (%d kv, head dim %d), ffn %d, vocab %d",
			s.Layers, s.HiddenSize, s.Heads, s.KVHeads, s.HeadDim, s.IntermediateSize, s.VocabSize))
	}
	row("tokenizer", orDash(s.TokenizerKind))
	row("chat template", s.ChatTemplate)
	for _, w := range s.Warnings {
		row("warning", w)
	}
	tw.Flush()
}

// humanCount formats a parameter count as 1.2K / 3.4M / 7.0B.
func humanCount(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1fB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1fK", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}
