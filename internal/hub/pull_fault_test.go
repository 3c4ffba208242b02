package hub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"hfserve/internal/hub/hubtest"
)

// weightsBlob is where model.safetensors's blob lands.
func weightsBlob(t *testing.T, cacheDir string) string {
	t.Helper()
	return filepath.Join(cacheDir, RepoFolderName(testRepo), "blobs", wantETag("model.safetensors", hubFiles(t)["model.safetensors"]))
}

// rangesFor lists the Range headers of the content GETs of the weights.
func rangesFor(h *hubtest.Hub) []string {
	var out []string
	for _, r := range contentGets(h) {
		if strings.HasPrefix(r.Path, "/storage/") {
			out = append(out, r.Range)
		}
	}
	return out
}

func TestPullResumesDroppedConnection(t *testing.T) {
	h, commit := newHub(t)
	const dropAt = 300_000
	h.InjectFault(hubtest.Fault{Path: "model.safetensors", DropAfter: dropAt, Times: 2})
	cacheDir := t.TempDir()
	if _, err := testClient(h).Pull(pullCtx(t), Cache{Dir: cacheDir}, PullOptions{Repo: testRepo}); err != nil {
		t.Fatal(err)
	}
	checkLayout(t, cacheDir, testRepo, "main", commit, pick(hubFiles(t), defaultPicked...))
	want := []string{"", fmt.Sprintf("bytes=%d-", dropAt), fmt.Sprintf("bytes=%d-", 2*dropAt)}
	if got := rangesFor(h); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("weights GETs with Range %q, want %q (each attempt resumes)", got, want)
	}
}

func TestPullKilledThenResumed(t *testing.T) {
	h, commit := newHub(t)
	const dropAt = 400_000
	// Every attempt is cut: the pull gives up, as a killed process would,
	// leaving the partial blob.
	h.InjectFault(hubtest.Fault{Path: "model.safetensors", DropAfter: dropAt})
	cacheDir := t.TempDir()
	c := testClient(h)
	c.Retries = 1
	_, err := c.Pull(pullCtx(t), Cache{Dir: cacheDir}, PullOptions{Repo: testRepo})
	if err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("pull through a cut connection: %v", err)
	}
	nothingLooksComplete(t, cacheDir, testRepo)
	partial := weightsBlob(t, cacheDir) + incompleteSuffix
	if info, err := os.Stat(partial); err != nil || info.Size() != dropAt {
		t.Fatalf("partial download %s: %v (size want %d)", partial, err, dropAt)
	}
	h.ClearFaults()
	if _, err := testClient(h).Pull(pullCtx(t), Cache{Dir: cacheDir}, PullOptions{Repo: testRepo}); err != nil {
		t.Fatal(err)
	}
	checkLayout(t, cacheDir, testRepo, "main", commit, pick(hubFiles(t), defaultPicked...))
	ranges := rangesFor(h)
	if last := ranges[len(ranges)-1]; last != fmt.Sprintf("bytes=%d-", dropAt) {
		t.Errorf("the resumed download asked for %q, want bytes=%d-", last, dropAt)
	}
}

func TestPullRetriesServerErrors(t *testing.T) {
	h, commit := newHub(t)
	h.InjectFault(hubtest.Fault{API: true, Status: 503, Times: 1})
	h.InjectFault(hubtest.Fault{Path: "config.json", Status: 500, Times: 2})
	cacheDir := t.TempDir()
	if _, err := testClient(h).Pull(pullCtx(t), Cache{Dir: cacheDir}, PullOptions{Repo: testRepo}); err != nil {
		t.Fatal(err)
	}
	checkLayout(t, cacheDir, testRepo, "main", commit, pick(hubFiles(t), defaultPicked...))
	if h.FaultHits() != 3 {
		t.Errorf("faults hit %d times, want 3", h.FaultHits())
	}

	// A Hub that keeps failing fails the pull with a clear message.
	h.InjectFault(hubtest.Fault{API: true, Status: 503})
	c := testClient(h)
	c.Retries = 2
	_, err := c.Pull(pullCtx(t), Cache{Dir: t.TempDir()}, PullOptions{Repo: testRepo})
	var he *HubError
	if !errors.As(err, &he) || he.Kind != KindServer || !strings.Contains(err.Error(), "try again later") {
		t.Errorf("persistent 503: %v", err)
	}
}

func TestPullChecksumMismatch(t *testing.T) {
	for _, path := range []string{"model.safetensors", "tokenizer.json"} { // sha256 (LFS) and git sha1
		t.Run(path, func(t *testing.T) {
			h, _ := newHub(t)
			h.InjectFault(hubtest.Fault{Path: path, Corrupt: true})
			cacheDir := t.TempDir()
			_, err := testClient(h).Pull(pullCtx(t), Cache{Dir: cacheDir}, PullOptions{Repo: testRepo})
			var ce *ChecksumError
			if !errors.As(err, &ce) || ce.Path != path || !strings.Contains(err.Error(), "deleted") {
				t.Fatalf("corrupt download: %v", err)
			}
			wantWhat := "git sha1"
			if hubtest.IsLFS(path, 0) {
				wantWhat = "sha256"
			}
			if ce.What != wantWhat {
				t.Errorf("checked %s, want %s", ce.What, wantWhat)
			}
			nothingLooksComplete(t, cacheDir, testRepo)
			etag := wantETag(path, hubFiles(t)[path])
			for _, name := range []string{etag, etag + incompleteSuffix} {
				if _, err := os.Stat(filepath.Join(cacheDir, RepoFolderName(testRepo), "blobs", name)); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("blobs/%s left after a checksum mismatch (%v)", name, err)
				}
			}
		})
	}
}

func TestPullReplacesCorruptBlob(t *testing.T) {
	h, commit := newHub(t)
	cacheDir := t.TempDir()
	c := testClient(h)
	if _, err := c.Pull(pullCtx(t), Cache{Dir: cacheDir}, PullOptions{Repo: testRepo}); err != nil {
		t.Fatal(err)
	}
	// Flip a byte of the cached weights, keeping the size: only the hash
	// can tell.
	blob := weightsBlob(t, cacheDir)
	b, _ := os.ReadFile(blob)
	b[100] ^= 1
	if err := os.WriteFile(blob, b, 0o644); err != nil {
		t.Fatal(err)
	}
	var evs events
	if _, err := c.Pull(pullCtx(t), Cache{Dir: cacheDir}, PullOptions{Repo: testRepo, Progress: evs.add}); err != nil {
		t.Fatal(err)
	}
	checkLayout(t, cacheDir, testRepo, "main", commit, pick(hubFiles(t), defaultPicked...))
	var noted bool
	for _, ev := range evs.list() {
		if ev.Kind == EventFileStart && ev.File.Name == "model.safetensors" && strings.Contains(ev.File.Note, "corrupt") {
			noted = true
		}
	}
	if !noted {
		t.Error("the corrupt blob was not reported")
	}
}

// failingWriter fails with err once limit bytes are written.
type failingWriter struct {
	w     io.Writer
	limit int
	err   error
}

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) > f.limit {
		n, _ := f.w.Write(p[:f.limit])
		f.limit = 0
		return n, f.err
	}
	f.limit -= len(p)
	return f.w.Write(p)
}

func TestPullDiskFull(t *testing.T) {
	t.Run("write fails", func(t *testing.T) {
		h, _ := newHub(t)
		// The file system seam stands in for a full disk: the write of the
		// weights fails with ENOSPC after 1000 bytes.
		cacheDir := t.TempDir()
		c := testClient(h)
		c.Concurrency = 1
		c.wrapWriter = func(w io.Writer) io.Writer { return &failingWriter{w: w, limit: 1000, err: syscall.ENOSPC} }
		_, err := c.Pull(pullCtx(t), Cache{Dir: cacheDir}, PullOptions{Repo: testRepo})
		var df *DiskFullError
		if !errors.As(err, &df) || !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "disk full") || !strings.Contains(err.Error(), "resumes") {
			t.Fatalf("disk full: %v", err)
		}
		nothingLooksComplete(t, cacheDir, testRepo)
	})
	t.Run("too little space up front", func(t *testing.T) {
		h, _ := newHub(t)
		cacheDir := t.TempDir()
		c := testClient(h)
		c.freeSpace = func(string) (int64, error) { return 10_000, nil }
		_, err := c.Pull(pullCtx(t), Cache{Dir: cacheDir}, PullOptions{Repo: testRepo})
		var df *DiskFullError
		if !errors.As(err, &df) || df.Free != 10_000 || df.Need <= df.Free || !strings.Contains(err.Error(), "not enough disk space") {
			t.Fatalf("no space: %v", err)
		}
		if n := len(contentGets(h)); n != 0 {
			t.Errorf("%d files downloaded although the space check failed", n)
		}
		nothingLooksComplete(t, cacheDir, testRepo)
	})
}

func TestPullCancelledMidFileResumes(t *testing.T) {
	h, commit := newHub(t)
	cacheDir := t.TempDir()
	ctx, cancel := context.WithCancel(pullCtx(t))
	defer cancel()
	// Cancel (as Ctrl-C does) once part of the weights has arrived.
	progress := func(ev PullEvent) {
		if ev.Kind == EventProgress && ev.File.Name == "model.safetensors" && ev.File.Done > 0 {
			cancel()
		}
	}
	c := testClient(h)
	c.Concurrency = 1
	_, err := c.Pull(ctx, Cache{Dir: cacheDir}, PullOptions{Repo: testRepo, Progress: progress})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled pull: %v", err)
	}
	nothingLooksComplete(t, cacheDir, testRepo)
	info, err := os.Stat(weightsBlob(t, cacheDir) + incompleteSuffix)
	if err != nil || info.Size() == 0 || info.Size() >= int64(len(hubFiles(t)["model.safetensors"])) {
		t.Fatalf("partial download after cancel: %v, %v", info, err)
	}
	if _, err := testClient(h).Pull(pullCtx(t), Cache{Dir: cacheDir}, PullOptions{Repo: testRepo}); err != nil {
		t.Fatal(err)
	}
	checkLayout(t, cacheDir, testRepo, "main", commit, pick(hubFiles(t), defaultPicked...))
	ranges := rangesFor(h)
	if last := ranges[len(ranges)-1]; last != fmt.Sprintf("bytes=%d-", info.Size()) {
		t.Errorf("the resumed download asked for %q, want bytes=%d-", last, info.Size())
	}
}

func TestPullResumesStalledConnection(t *testing.T) {
	h, commit := newHub(t)
	const stallAt = 200_000
	h.InjectFault(hubtest.Fault{Path: "model.safetensors", DropAfter: stallAt, Stall: true, Times: 1})
	cacheDir := t.TempDir()
	c := testClient(h)
	c.StallTimeout = 200 * time.Millisecond
	if _, err := c.Pull(pullCtx(t), Cache{Dir: cacheDir}, PullOptions{Repo: testRepo}); err != nil {
		t.Fatal(err)
	}
	checkLayout(t, cacheDir, testRepo, "main", commit, pick(hubFiles(t), defaultPicked...))
	if got := rangesFor(h); len(got) != 2 || got[1] != fmt.Sprintf("bytes=%d-", stallAt) {
		t.Errorf("weights GETs with Range %q, want a resume from %d after the stall", got, stallAt)
	}
}
