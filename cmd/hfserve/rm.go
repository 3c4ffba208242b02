package main

import (
	"context"
	"fmt"
	"strings"
)

const rmDescription = `Delete a model from the Hugging Face cache. MODEL alone deletes the whole repo:
every snapshot, ref and blob. MODEL@REVISION (a branch, tag or commit) deletes
that commit's snapshot and the refs pointing at it, and only the blobs no other
snapshot uses. A model that is not in the cache is an error and nothing is
deleted. There is no confirmation prompt: 'hfserve pull' brings a model back.`

func runRm(_ context.Context, e *env, args []string) error {
	flags := newFlagSet(e, "rm", "rm MODEL[@REVISION]", rmDescription)
	cacheDir := flags.String("cache-dir", "", "the Hugging Face hub cache to delete from (default: from HF_HUB_CACHE / HF_HOME)")
	if err := parseFlags(flags, args); err != nil {
		return err
	}
	if flags.NArg() != 1 {
		return usagef("rm: give exactly one MODEL (org/name or org/name@revision)")
	}
	ref, err := parseRepoArg("rm", flags.Arg(0))
	if err != nil {
		return err
	}
	revision := ""
	if strings.Contains(flags.Arg(0), "@") {
		revision = ref.Revision
	}
	removed, err := cacheFor(e, *cacheDir).Remove(ref.Repo, revision)
	if err != nil {
		return fmt.Errorf("rm: %w", err)
	}
	var commits []string
	for _, c := range removed.Snapshots {
		commits = append(commits, short(c))
	}
	what := fmt.Sprintf("%d snapshot(s)", len(removed.Snapshots))
	if len(commits) > 0 {
		what += " (" + strings.Join(commits, ", ") + ")"
	}
	if len(removed.Refs) > 0 {
		what += ", refs " + strings.Join(removed.Refs, ", ")
	}
	fmt.Fprintf(e.stdout, "removed %s: %s, %d blob(s), %s freed\n", flags.Arg(0), what, removed.Blobs, humanBytes(removed.Bytes))
	return nil
}
