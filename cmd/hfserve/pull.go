package main

import (
	"context"
	"fmt"
	"strings"

	"hfserve/internal/hub"
)

const pullDescription = `Download a model from the Hugging Face Hub (or the mirror HF_ENDPOINT names) into
the Hugging Face cache, laid out as huggingface_hub lays it out, so Python tools
share it. By default only what hfserve needs comes down: configs, tokenizer
files, chat templates, README and licence, and the safetensors weights (never
.bin/.h5/.onnx/.gguf duplicates); --include replaces that choice, --exclude
narrows it (fnmatch patterns: '*' crosses folders, "dir/" means everything
under dir).

Gated and private models need a token: HF_TOKEN, or the file
'huggingface-cli login' writes ($HF_HOME/token). An interrupted pull resumes
where it stopped; HF_HUB_OFFLINE=1 refuses to download.`

func runPull(ctx context.Context, e *env, args []string) error {
	flags := newFlagSet(e, "pull", "pull MODEL[@REVISION] [--include PATTERN]... [--exclude PATTERN]...", pullDescription)
	var include, exclude stringList
	flags.Var(&include, "include", "download only the files matching this pattern (repeatable)")
	flags.Var(&exclude, "exclude", "skip the files matching this pattern (repeatable)")
	cacheDir := flags.String("cache-dir", "", "the Hugging Face hub cache to fill (default: from HF_HUB_CACHE / HF_HOME)")
	concurrency := flags.Int("concurrency", hub.DefaultConcurrency, "most files downloaded at once")
	if err := parseFlags(flags, args); err != nil {
		return err
	}
	if flags.NArg() != 1 {
		return usagef("pull: give exactly one MODEL (org/name or org/name@revision)")
	}
	ref, err := parseRepoArg("pull", flags.Arg(0))
	if err != nil {
		return err
	}
	if *concurrency < 1 {
		return usagef("pull: --concurrency must be at least 1")
	}
	for _, p := range append(append([]string(nil), include...), exclude...) {
		if _, err := hub.CompileGlob(p); err != nil {
			return usagef("pull: pattern %q: %v", p, err)
		}
	}
	hubEnv, err := hub.ReadHubEnv(e.lookupEnv, e.homeDir)
	if err != nil {
		return fmt.Errorf("pull: %w", err)
	}
	client := hub.NewClient(hubEnv)
	client.Concurrency = *concurrency
	view := newProgressView(e.stdout, isTerminal(e))
	snap, err := client.Pull(ctx, cacheFor(e, *cacheDir), hub.PullOptions{
		Repo: ref.Repo, Revision: ref.Revision, Selection: hub.Selection{Include: include, Exclude: exclude}, Progress: view.handle,
	})
	view.finish()
	if err != nil {
		return fmt.Errorf("pull: %w", err)
	}
	fmt.Fprintf(e.stdout, "pulled %s (commit %s) into %s\n", ref, snap.Commit, snap.Dir)
	return nil
}

// parseRepoArg reads a MODEL[@REV] argument that must name a Hub repo.
func parseRepoArg(cmd, arg string) (hub.Ref, error) {
	if strings.HasPrefix(arg, "-") {
		return hub.Ref{}, usagef("%s: %q is not a model id", cmd, arg)
	}
	repo, rev, hasRev := strings.Cut(arg, "@")
	if err := hub.ValidateRepoID(repo); err != nil {
		return hub.Ref{}, usagef("%s: %q is not a Hub model id: %v", cmd, arg, err)
	}
	if !hasRev {
		rev = hub.DefaultRevision
	} else if err := hub.ValidateRevision(rev); err != nil {
		return hub.Ref{}, usagef("%s: %q: %v", cmd, arg, err)
	}
	return hub.Ref{Repo: repo, Revision: rev}, nil
}

// cacheFor is the cache --cache-dir names, else the environment's.
func cacheFor(e *env, dir string) hub.Cache {
	if dir == "" {
		dir = hub.CacheDir(e.lookupEnv, e.homeDir)
	}
	return hub.Cache{Dir: dir}
}
