package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"hfserve/internal/hub"
	"hfserve/internal/skills"
)

// listedModel is one row of `hfserve ls`.
type listedModel struct {
	Name         string    `json:"name"`
	Source       string    `json:"source"` // "dir" or "hf-cache"
	Dir          string    `json:"dir"`
	Revisions    []string  `json:"revisions,omitempty"`
	Architecture string    `json:"architecture,omitempty"`
	Tasks        []string  `json:"tasks,omitempty"`
	Supported    bool      `json:"supported"`
	Reason       string    `json:"reason,omitempty"`
	SizeBytes    int64     `json:"size_bytes"`
	Modified     time.Time `json:"modified"`
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func runLs(_ context.Context, e *env, args []string) error {
	flags := newFlagSet(e, "ls", "ls [--model-dir DIR]... [--json]",
		"List the models found on this machine: every model folder under each --model-dir, and\nthe Hugging Face cache ($HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub).")
	var dirs stringList
	flags.Var(&dirs, "model-dir", "a folder to search for model folders (repeatable)")
	asJSON := flags.Bool("json", false, "print JSON")
	cacheDir := flags.String("cache-dir", "", "the Hugging Face hub cache to list (default: from HF_HUB_CACHE / HF_HOME)")
	if err := parseFlags(flags, args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return usagef("ls: unexpected argument %q", flags.Arg(0))
	}
	var rows []listedModel
	for _, root := range dirs {
		found, err := hub.FindModelDirs(root)
		if err != nil {
			return fmt.Errorf("ls: %w", err)
		}
		for _, dir := range found {
			name, err := filepath.Rel(root, dir)
			if err != nil || name == "." {
				name = filepath.Base(dir)
			}
			row := listedModel{Name: filepath.ToSlash(name), Source: "dir", Dir: dir}
			row.SizeBytes, row.Modified = folderSize(dir)
			describe(&row, dir)
			rows = append(rows, row)
		}
	}
	cache := hub.Cache{Dir: *cacheDir}
	if cache.Dir == "" {
		cache.Dir = hub.CacheDir(e.lookupEnv, e.homeDir)
	}
	cached, err := cache.List()
	if err != nil {
		return fmt.Errorf("ls: %w", err)
	}
	for _, m := range cached {
		row := listedModel{Name: m.Repo, Source: "hf-cache", SizeBytes: m.SizeOnDisk, Modified: m.LastModified}
		for name := range m.Refs {
			row.Revisions = append(row.Revisions, name)
		}
		sort.Strings(row.Revisions)
		if snap := newestSnapshot(m); snap.Dir != "" {
			row.Dir = snap.Dir
			describe(&row, snap.Dir)
		}
		rows = append(rows, row)
	}
	if *asJSON {
		if rows == nil {
			rows = []listedModel{}
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tARCHITECTURE\tTASKS\tSIZE\tMODIFIED\tSOURCE")
	for _, r := range rows {
		tasks := strings.Join(r.Tasks, ",")
		if !r.Supported {
			tasks = "unsupported"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, orDash(r.Architecture), orDash(tasks),
			humanBytes(r.SizeBytes), r.Modified.Format("2006-01-02 15:04"), r.Source)
	}
	return tw.Flush()
}

// newestSnapshot picks the snapshot "main" points to, else any.
func newestSnapshot(m hub.CachedModel) hub.Snapshot {
	for _, s := range m.Snapshots {
		if s.Commit == m.Refs["main"] {
			return s
		}
	}
	if len(m.Snapshots) > 0 {
		return m.Snapshots[0]
	}
	return hub.Snapshot{}
}

func describe(row *listedModel, dir string) {
	det, err := skills.Detect(dir)
	if err != nil {
		row.Reason = err.Error()
		return
	}
	row.Architecture, row.Supported, row.Reason = det.Architecture, det.Supported, det.Reason
	for _, t := range det.Tasks {
		row.Tasks = append(row.Tasks, string(t))
	}
}

// folderSize sums the sizes of the files in dir (following symlinks one
// level, as the Hub cache's snapshot links need) and returns the newest mtime.
func folderSize(dir string) (int64, time.Time) {
	var total int64
	var newest time.Time
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
			total += fi.Size()
			if fi.ModTime().After(newest) {
				newest = fi.ModTime()
			}
		}
		return nil
	})
	return total, newest
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
