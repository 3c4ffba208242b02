package hub

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"hfserve/internal/hub/hubtest"
)

// defaultJSModules is where .ci/run installs @huggingface/hub.
const defaultJSModules = "/tmp/hfserve-npm/node_modules"

// jsModules finds a node_modules folder holding @huggingface/hub
// ($HFSERVE_HFHUB_JS, else defaultJSModules), or skips the test.
func jsModules(t *testing.T) (node, modules string) {
	t.Helper()
	modules = os.Getenv("HFSERVE_HFHUB_JS")
	if modules == "" {
		modules = defaultJSModules
	}
	if _, err := os.Stat(filepath.Join(modules, "@huggingface", "hub", "package.json")); err != nil {
		t.Skipf("@huggingface/hub is not installed in %s (npm install --prefix %s @huggingface/hub@2.17.5)",
			modules, filepath.Dir(modules))
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	return node, modules
}

// cacheEntry is one thing under a repo's cache folder: a folder, a symlink
// (with its target as written) or a file (with its bytes).
type cacheEntry struct {
	kind    string
	content string
}

// cacheTree reads every entry under root, keyed by slash path.
func cacheTree(t *testing.T, root string) map[string]cacheEntry {
	t.Helper()
	tree := map[string]cacheEntry{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == root {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			tree[rel] = cacheEntry{"symlink", target}
		case d.IsDir():
			tree[rel] = cacheEntry{"dir", ""}
		default:
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			tree[rel] = cacheEntry{"file", string(b)}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

// TestLayoutMatchesHuggingFaceJS downloads the same repo from the fake Hub
// with the Go client and with @huggingface/hub's snapshotDownload (the
// JavaScript port of huggingface_hub's cache writer), and compares the two
// cache folders entry by entry: relative paths, folder/file/symlink kinds,
// symlink targets as written, file bytes, refs contents.
func TestLayoutMatchesHuggingFaceJS(t *testing.T) {
	node, modules := jsModules(t)
	h := hubtest.New()
	t.Cleanup(h.Close)
	// Only the files a default pull takes: the JS library downloads every
	// file of the repo.
	files := pick(hubFiles(t), defaultPicked...)
	h.AddRepo(testRepo, files)
	pr := pick(files, "config.json", "model.safetensors", "1_Pooling/config.json")
	pr["config.json"] = []byte(`{"architectures": ["LlamaForCausalLM"], "pr": 1}`)
	h.Commit(testRepo, "refs/pr/1", pr)
	h.Tag(testRepo, "v1.0", h.Commit(testRepo, "dev", pick(files, "config.json", "model.safetensors")))
	for _, rev := range []string{"main", "refs/pr/1", "v1.0"} {
		goCache, jsCache := t.TempDir(), t.TempDir()
		if _, err := testClient(h).Pull(pullCtx(t), Cache{Dir: goCache}, PullOptions{Repo: testRepo, Revision: rev}); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, node, "testdata/jsoracle.mjs", h.URL, testRepo, jsCache, rev)
		cmd.Env = append(os.Environ(), "HFSERVE_HFHUB_JS="+modules)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("snapshotDownload: %v\n%s", err, out)
		}
		repoFolder := RepoFolderName(testRepo)
		goTree, jsTree := cacheTree(t, filepath.Join(goCache, repoFolder)), cacheTree(t, filepath.Join(jsCache, repoFolder))
		if len(jsTree) == 0 {
			t.Fatalf("the JS library wrote nothing under %s", repoFolder)
		}
		for path, js := range jsTree {
			g, ok := goTree[path]
			switch {
			case !ok:
				t.Errorf("%s: written by the JS library (%s), not by hfserve", path, js.kind)
			case g.kind != js.kind:
				t.Errorf("%s: hfserve wrote a %s, the JS library a %s", path, g.kind, js.kind)
			case g.content != js.content:
				t.Errorf("%s: content differs: hfserve %q, JS %q", path, abbrev(g.content), abbrev(js.content))
			}
		}
		for path, g := range goTree {
			if _, ok := jsTree[path]; !ok {
				t.Errorf("%s: written by hfserve (%s), not by the JS library", path, g.kind)
			}
		}
	}
}

func abbrev(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}
