package hub

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"hfserve/internal/hub/hubtest"
)

func TestPullLayout(t *testing.T) {
	h, commit := newHub(t)
	cacheDir := t.TempDir()
	var evs events
	snap, err := testClient(h).Pull(pullCtx(t), Cache{Dir: cacheDir}, PullOptions{Repo: testRepo, Progress: evs.add})
	if err != nil {
		t.Fatal(err)
	}
	wantDir := filepath.Join(cacheDir, "models--org--tiny-llama", "snapshots", commit)
	if snap.Commit != commit || snap.Dir != wantDir || snap.Revision != "main" {
		t.Errorf("snapshot %+v, want commit %s in %s", snap, commit, wantDir)
	}
	files := hubFiles(t)
	checkLayout(t, cacheDir, testRepo, "main", commit, pick(files, defaultPicked...))
	// The reader side takes what the writer wrote as a loadable model.
	if err := CheckModelDir(snap.Dir); err != nil {
		t.Errorf("CheckModelDir: %v", err)
	}
	got, err := Cache{Dir: cacheDir}.Resolve(testRepo, "main")
	if err != nil || got.Dir != wantDir {
		t.Errorf("Cache.Resolve: %+v, %v", got, err)
	}
	list := evs.list()
	if len(list) < 2 || list[0].Kind != EventResolved || list[len(list)-1].Kind != EventDone {
		t.Fatalf("events must start with resolved and end with done: %+v", list)
	}
	last := list[len(list)-1]
	if last.Files != len(defaultPicked) || last.FilesDone != len(defaultPicked) || last.Done != last.Total || last.Total <= 0 || last.Dir != wantDir {
		t.Errorf("final event %+v", last)
	}
	if list[0].Total != last.Total {
		t.Errorf("total known at resolve %d differs from the end %d", list[0].Total, last.Total)
	}
}

func TestPullAgainIsCached(t *testing.T) {
	h, commit := newHub(t)
	cacheDir := t.TempDir()
	c := testClient(h)
	if _, err := c.Pull(pullCtx(t), Cache{Dir: cacheDir}, PullOptions{Repo: testRepo}); err != nil {
		t.Fatal(err)
	}
	before := len(contentGets(h))
	var evs events
	if _, err := c.Pull(pullCtx(t), Cache{Dir: cacheDir}, PullOptions{Repo: testRepo, Progress: evs.add}); err != nil {
		t.Fatal(err)
	}
	if n := len(contentGets(h)) - before; n != 0 {
		t.Errorf("a second pull downloaded %d files again", n)
	}
	for _, ev := range evs.list() {
		if ev.Kind == EventFileDone && !ev.File.Cached {
			t.Errorf("%s not reported as cached", ev.File.Name)
		}
	}
	checkLayout(t, cacheDir, testRepo, "main", commit, pick(hubFiles(t), defaultPicked...))
}

// contentGets are the GETs of file content (resolve or storage).
func contentGets(h *hubtest.Hub) []hubtest.Request {
	var out []hubtest.Request
	for _, r := range h.Requests() {
		if r.Method == "GET" && (strings.Contains(r.Path, "/resolve/") || strings.HasPrefix(r.Path, "/storage/")) {
			out = append(out, r)
		}
	}
	return out
}

func TestPullSelection(t *testing.T) {
	h, commit := newHub(t)
	files := hubFiles(t)
	tests := []struct {
		name string
		sel  Selection
		want []string
	}{
		{"include replaces the default", Selection{Include: []string{"*.json"}},
			[]string{"1_Pooling/config.json", "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"}},
		{"folder pattern", Selection{Include: []string{"onnx/"}}, []string{"onnx/model.onnx"}},
		{"exclude on top of the default", Selection{Exclude: []string{"README.md", "1_Pooling/*"}},
			[]string{"config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"}},
		{"include then exclude", Selection{Include: []string{"*.bin", "config.json"}, Exclude: []string{"*.bin"}}, []string{"config.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cacheDir := t.TempDir()
			_, err := testClient(h).Pull(pullCtx(t), Cache{Dir: cacheDir}, PullOptions{Repo: testRepo, Selection: tt.sel})
			if err != nil {
				t.Fatal(err)
			}
			checkLayout(t, cacheDir, testRepo, "main", commit, pick(files, tt.want...))
		})
	}
	_, err := testClient(h).Pull(pullCtx(t), Cache{Dir: t.TempDir()}, PullOptions{Repo: testRepo, Selection: Selection{Include: []string{"*.xyz"}}})
	if err == nil || !strings.Contains(err.Error(), "no file matches") || !strings.Contains(err.Error(), "model.safetensors") {
		t.Errorf("empty selection: %v", err)
	}
}

func TestPullRevisions(t *testing.T) {
	h, mainCommit := newHub(t)
	files := hubFiles(t)
	prFiles := pick(files, "config.json", "model.safetensors", "tokenizer.json")
	prFiles["config.json"] = []byte(`{"architectures": ["LlamaForCausalLM"], "changed": true}`)
	prCommit := h.Commit(testRepo, "refs/pr/1", prFiles)
	cacheDir := t.TempDir()
	c := testClient(h)

	snap, err := c.Pull(pullCtx(t), Cache{Dir: cacheDir}, PullOptions{Repo: testRepo, Revision: "refs/pr/1"})
	if err != nil {
		t.Fatal(err)
	}
	if snap.Commit != prCommit {
		t.Errorf("refs/pr/1 resolved to %s, want %s", snap.Commit, prCommit)
	}
	checkLayout(t, cacheDir, testRepo, "refs/pr/1", prCommit, prFiles)

	// A pull by commit hash writes no ref, as huggingface_hub.
	if _, err := c.Pull(pullCtx(t), Cache{Dir: cacheDir}, PullOptions{Repo: testRepo, Revision: mainCommit}); err != nil {
		t.Fatal(err)
	}
	checkLayout(t, cacheDir, testRepo, "", mainCommit, pick(files, defaultPicked...))
	refs, _ := readRefs(filepath.Join(cacheDir, RepoFolderName(testRepo), "refs"))
	if len(refs) != 1 || refs["refs/pr/1"] != prCommit {
		t.Errorf("refs = %v, want only refs/pr/1", refs)
	}
	// The two snapshots share the blob of model.safetensors.
	blobs, _ := os.ReadDir(filepath.Join(cacheDir, RepoFolderName(testRepo), "blobs"))
	if len(blobs) != len(defaultPicked)+1 {
		t.Errorf("%d blobs, want %d (one new config.json)", len(blobs), len(defaultPicked)+1)
	}
}

func TestStoreResolveDownloads(t *testing.T) {
	h, commit := newHub(t)
	cacheDir := t.TempDir()
	var evs events
	c := testClient(h)
	c.Progress = evs.add
	store := Store{Cache: Cache{Dir: cacheDir}, Downloader: c}
	local, err := store.Resolve(pullCtx(t), Ref{Repo: testRepo, Revision: "main"})
	if err != nil {
		t.Fatal(err)
	}
	if local.Commit != commit {
		t.Errorf("commit %s, want %s", local.Commit, commit)
	}
	if len(evs.list()) == 0 {
		t.Error("Download reported no progress to Client.Progress")
	}
	// Offline, the cached copy still resolves and nothing is asked.
	before := len(h.Requests())
	offline := testClient(h)
	offline.Offline = true
	if _, err := (Store{Cache: Cache{Dir: cacheDir}, Downloader: offline}).Resolve(pullCtx(t), Ref{Repo: testRepo, Revision: "main"}); err != nil {
		t.Errorf("offline resolve of a cached model: %v", err)
	}
	_, err = (Store{Cache: Cache{Dir: cacheDir}, Downloader: offline}).Resolve(pullCtx(t), Ref{Repo: "org/other", Revision: "main"})
	if !errors.Is(err, ErrOffline) || !strings.Contains(err.Error(), "HF_HUB_OFFLINE") {
		t.Errorf("offline resolve of a missing model: %v", err)
	}
	if n := len(h.Requests()) - before; n != 0 {
		t.Errorf("offline mode sent %d requests", n)
	}
}

func TestPullConcurrentSameModel(t *testing.T) {
	h, commit := newHub(t)
	cacheDir := t.TempDir()
	const pulls = 4
	var wg sync.WaitGroup
	errs := make([]error, pulls)
	for i := range pulls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Separate clients, as separate processes would be.
			_, errs[i] = testClient(h).Pull(pullCtx(t), Cache{Dir: cacheDir}, PullOptions{Repo: testRepo})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("pull %d: %v", i, err)
		}
	}
	checkLayout(t, cacheDir, testRepo, "main", commit, pick(hubFiles(t), defaultPicked...))
	// The blob locks make each file download once, whoever gets there first.
	perFile := map[string]int{}
	for _, r := range contentGets(h) {
		perFile[r.Path]++
	}
	for path, n := range perFile {
		if n != 1 {
			t.Errorf("%s downloaded %d times, want once", path, n)
		}
	}
	hidden, _ := filepath.Glob(filepath.Join(cacheDir, RepoFolderName(testRepo), "snapshots", ".*"))
	if len(hidden) > 0 {
		t.Errorf("temporary snapshot folders left: %v", hidden)
	}
}

func TestPullErrors(t *testing.T) {
	h, _ := newHub(t)
	files := hubFiles(t)
	h.AddRepo("org/gated", pick(files, "config.json", "model.safetensors"))
	h.SetGated("org/gated", "granted-token")
	h.AddToken("other-token")
	h.AddRepo("org/private", pick(files, "config.json", "model.safetensors"))
	h.SetPrivate("org/private", "granted-token")
	h.AddRepo("org/pytorch-only", map[string][]byte{"config.json": files["config.json"], "pytorch_model.bin": files["pytorch_model.bin"], "tf_model.h5": []byte("h5")})

	tests := []struct {
		name, repo, rev, token string
		offline                bool
		kind                   HubErrorKind // "" when not a *HubError
		is                     error        // errors.Is target, or nil
		want                   []string     // substrings of the message
	}{
		{"unknown repo", "org/missing", "", "", false, KindRepoNotFound, ErrNotFound, []string{`"org/missing" does not exist`, "HF_TOKEN", "HTTP 401"}},
		{"unknown repo with token", "org/missing", "", "other-token", false, KindRepoNotFound, ErrNotFound, []string{"HTTP 404", "access to a private repo"}},
		{"private without access", "org/private", "", "", false, KindRepoNotFound, ErrNotFound, []string{"private"}},
		{"unknown revision", testRepo, "nope", "", false, KindRevisionNotFound, ErrNotFound, []string{`no revision "nope"`}},
		{"gated without token", "org/gated", "", "", false, KindGatedRepo, nil, []string{"gated", "HF_TOKEN", "huggingface-cli login", "HTTP 401"}},
		{"gated, token not granted", "org/gated", "", "other-token", false, KindGatedRepo, nil, []string{"gated", "no access", "HTTP 403"}},
		{"bad token", testRepo, "", "not-a-token", false, KindBadToken, nil, []string{"rejected the token", "HF_TOKEN"}},
		{"offline", testRepo, "", "", true, "", ErrOffline, []string{"HF_HUB_OFFLINE"}},
		{"no safetensors", "org/pytorch-only", "", "", false, "", nil, []string{"no safetensors", "pytorch_model.bin (PyTorch pickle)", "tf_model.h5 (TensorFlow/Keras)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cacheDir := t.TempDir()
			c := testClient(h)
			c.Token, c.Offline = tt.token, tt.offline
			_, err := c.Pull(pullCtx(t), Cache{Dir: cacheDir}, PullOptions{Repo: tt.repo, Revision: tt.rev})
			if err == nil {
				t.Fatal("pull succeeded")
			}
			var he *HubError
			if tt.kind != "" && (!errors.As(err, &he) || he.Kind != tt.kind) {
				t.Errorf("error %v: want a *HubError of kind %s", err, tt.kind)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v: errors.Is(%v) is false", err, tt.is)
			}
			for _, s := range tt.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("message %q lacks %q", err, s)
				}
			}
			nothingLooksComplete(t, cacheDir, tt.repo)
		})
	}
	// With a granted token the gated and private repos pull.
	for _, repo := range []string{"org/gated", "org/private"} {
		c := testClient(h)
		c.Token = "granted-token"
		if _, err := c.Pull(pullCtx(t), Cache{Dir: t.TempDir()}, PullOptions{Repo: repo}); err != nil {
			t.Errorf("%s with a granted token: %v", repo, err)
		}
	}
	var nst *NoSafetensorsError
	_, err := testClient(h).Pull(pullCtx(t), Cache{Dir: t.TempDir()}, PullOptions{Repo: "org/pytorch-only"})
	if !errors.As(err, &nst) || len(nst.Formats) != 2 {
		t.Errorf("no safetensors: %#v", err)
	}
}

func TestPullSendsTokenOnlyToTheHub(t *testing.T) {
	h, _ := newHub(t)
	h.AddToken("tok")
	c := testClient(h)
	c.Token = "tok"
	if _, err := c.Pull(pullCtx(t), Cache{Dir: t.TempDir()}, PullOptions{Repo: testRepo}); err != nil {
		t.Fatal(err)
	}
	for _, r := range h.Requests() {
		if r.Token != "tok" {
			t.Errorf("%s %s sent token %q", r.Method, r.Path, r.Token)
		}
	}
}

func TestPullCancelled(t *testing.T) {
	h, _ := newHub(t)
	cacheDir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := testClient(h).Pull(ctx, Cache{Dir: cacheDir}, PullOptions{Repo: testRepo})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled pull: %v", err)
	}
	nothingLooksComplete(t, cacheDir, testRepo)
}
