// Package hubtest is a fake Hugging Face Hub for tests: an httptest server
// that answers the endpoints huggingface_hub (and hfserve's hub.Client)
// use, over repos built in memory or from model folders on disk.
//
// What it mimics of the real Hub (huggingface.co, as of 2025):
//
//	GET  /api/models/{repo}[/revision/{rev}][?blobs=true]
//	     model info: id, sha (the commit), private, gated (false, "auto",
//	     "manual"), siblings [{rfilename}] and, with blobs=true, blobId
//	     (git sha1), size, lfs {sha256, size, pointerSize}.
//	GET  /api/models/{repo}/tree/{rev}[/{path}][?recursive=true]
//	     [{type: "file"|"directory", oid, size, path, lfs: {oid, size, pointerSize}}]
//	POST /api/models/{repo}/paths-info/{rev}   (form or JSON "paths")
//	HEAD|GET /{repo}/resolve/{rev}/{path}
//	     a file stored in git: 200 with ETag "<git blob sha1>", X-Repo-Commit,
//	     Content-Length, Accept-Ranges, Range answered with 206;
//	     an LFS file: 302 to {server}/storage/<sha256> with ETag "<sha1 of the
//	     LFS pointer>", X-Linked-Etag "<sha256>", X-Linked-Size, X-Repo-Commit
//	     (the absolute Location stands for the real Hub's CDN).
//	HEAD|GET /storage/<sha256>   the content, with Range.
//
// Errors carry the Hub's X-Error-Code and X-Error-Message headers: an
// unknown or private repo is 401 RepoNotFound without a token and 404
// RepoNotFound with one; an unknown revision 404 RevisionNotFound; an
// unknown file 404 EntryNotFound; a gated repo's files (its model info is
// public, as on the Hub) 401 GatedRepo without a token and 403 GatedRepo
// with a token not granted access; a token the Hub does not know 401 with
// the message "Invalid credentials in Authorization header".
//
// Faults are injected on demand (see Fault): an error status, a
// connection dropped after some bytes of a file, corrupted bytes. Every
// request is recorded (see Requests). A Hub is safe for concurrent use.
package hubtest

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// lfsSuffixes are the file kinds the Hub's default .gitattributes stores in
// LFS; any file over lfsThreshold goes to LFS too.
var lfsSuffixes = [...]string{
	".7z", ".arrow", ".bin", ".bz2", ".ckpt", ".ftz", ".gz", ".h5", ".joblib", ".mlmodel", ".model",
	".msgpack", ".npy", ".npz", ".onnx", ".ot", ".parquet", ".pb", ".pickle", ".pkl", ".pt", ".pth",
	".rar", ".safetensors", ".tar", ".tflite", ".tgz", ".wasm", ".xz", ".zip", ".zst", ".gguf",
}

const lfsThreshold = 10 << 20

// IsLFS reports whether the fake Hub stores path (of size bytes) in LFS.
func IsLFS(path string, size int) bool {
	if size > lfsThreshold {
		return true
	}
	for _, s := range lfsSuffixes {
		if strings.HasSuffix(path, s) {
			return true
		}
	}
	return false
}

// Hub is a running fake Hub. Build it with New and Close it.
type Hub struct {
	// URL is the server's base URL, to use as HF_ENDPOINT.
	URL string
	srv *httptest.Server

	mu       sync.Mutex
	repos    map[string]*repo
	tokens   map[string]bool // tokens the Hub knows
	faults   []*Fault
	requests []Request
	commits  int // counter that makes every commit hash unique
}

type repo struct {
	id      string
	gated   string          // "", "auto", "manual"
	private bool            // hidden from anyone not granted
	granted map[string]bool // tokens with access to a gated or private repo
	commits map[string]*commit
	refs    map[string]string
}

type commit struct {
	hash  string
	files map[string]*file
}

type file struct {
	path    string
	content []byte
	lfs     bool
	sha256  string // of the content
	blobID  string // git blob sha1: of the content, or of the LFS pointer
	pointer []byte // the LFS pointer file, for LFS files
}

// Request is one request the Hub received.
type Request struct {
	Method string
	// Path is the escaped request path.
	Path string
	// Range is the Range header, if any.
	Range string
	// Token is the bearer token sent, if any.
	Token string
}

// New starts a Hub with no repos.
func New() *Hub {
	h := &Hub{repos: map[string]*repo{}, tokens: map[string]bool{}}
	h.srv = httptest.NewServer(http.HandlerFunc(h.serve))
	h.URL = h.srv.URL
	return h
}

// Close shuts the server down.
func (h *Hub) Close() { h.srv.Close() }

// AddRepo commits files to repo's main branch (creating the repo) and
// returns the commit hash.
func (h *Hub) AddRepo(id string, files map[string][]byte) string {
	return h.Commit(id, "main", files)
}

// AddFolder commits every regular file under dir (paths relative to it,
// hidden files skipped) to repo's main branch.
func (h *Hub) AddFolder(id, dir string) (string, error) {
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), ".") && path != dir {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		files[filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("hubtest: %w", err)
	}
	return h.AddRepo(id, files), nil
}

// Commit adds a commit holding exactly files to repo and points branch at
// it; it returns the commit hash.
func (h *Hub) Commit(id, branch string, files map[string][]byte) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.repos[id]
	if r == nil {
		r = &repo{id: id, granted: map[string]bool{}, commits: map[string]*commit{}, refs: map[string]string{}}
		h.repos[id] = r
	}
	c := &commit{files: map[string]*file{}}
	sum := sha1.New()
	h.commits++
	fmt.Fprintf(sum, "commit %d of %s\n", h.commits, id)
	for _, path := range slices.Sorted(maps.Keys(files)) {
		f := newFile(path, files[path])
		c.files[path] = f
		fmt.Fprintf(sum, "%s %s\n", f.blobID, path)
	}
	c.hash = hex.EncodeToString(sum.Sum(nil))
	r.commits[c.hash] = c
	r.refs[branch] = c.hash
	return c.hash
}

// Tag points ref (a tag, a branch, or "refs/pr/1") of repo at commit.
func (h *Hub) Tag(id, ref, commit string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if r := h.repos[id]; r != nil {
		r.refs[ref] = commit
	}
}

// AddToken makes token one the Hub knows (a user's access token).
func (h *Hub) AddToken(token string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.tokens[token] = true
}

// SetGated gates repo ("manual" approval); the tokens given have been
// granted access (and become known tokens).
func (h *Hub) SetGated(id string, granted ...string) {
	h.setAccess(id, func(r *repo) { r.gated = "manual" }, granted)
}

// SetPrivate makes repo private; only the tokens given see it.
func (h *Hub) SetPrivate(id string, granted ...string) {
	h.setAccess(id, func(r *repo) { r.private = true }, granted)
}

func (h *Hub) setAccess(id string, set func(*repo), granted []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.repos[id]
	if r == nil {
		return
	}
	set(r)
	for _, t := range granted {
		r.granted[t] = true
		h.tokens[t] = true
	}
}

// Requests returns the requests received so far, in order.
func (h *Hub) Requests() []Request {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.requests)
}

// ETag returns the blob name huggingface_hub gives path in repo's commit:
// the sha256 of an LFS file, the git blob sha1 of any other; "" when
// there is no such file.
func (h *Hub) ETag(id, commitHash, path string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if f := h.file(id, commitHash, path); f != nil {
		if f.lfs {
			return f.sha256
		}
		return f.blobID
	}
	return ""
}

func (h *Hub) file(id, commitHash, path string) *file {
	r := h.repos[id]
	if r == nil || r.commits[commitHash] == nil {
		return nil
	}
	return r.commits[commitHash].files[path]
}

func newFile(path string, content []byte) *file {
	f := &file{path: path, content: content, lfs: IsLFS(path, len(content))}
	s := sha256.Sum256(content)
	f.sha256 = hex.EncodeToString(s[:])
	stored := content
	if f.lfs {
		f.pointer = []byte("version https://git-lfs.github.com/spec/v1\noid sha256:" + f.sha256 + "\nsize " + strconv.Itoa(len(content)) + "\n")
		stored = f.pointer
	}
	f.blobID = GitBlobSHA1(stored)
	return f
}

// GitBlobSHA1 is git's object id of a blob: sha1("blob <size>\x00" + content).
func GitBlobSHA1(content []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(content))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}
