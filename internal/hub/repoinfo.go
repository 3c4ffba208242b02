package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
)

// maxRepoInfoSize bounds the model-info answer: a repo with a hundred
// thousand files is a few tens of MB of JSON.
const maxRepoInfoSize = 64 << 20

// maxRepoPathLen bounds a file path in a repo; it becomes a path on disk.
const maxRepoPathLen = 1024

// RepoInfo is what the Hub says about one revision of a model repo
// (GET /api/models/{repo}/revision/{revision}?blobs=true).
type RepoInfo struct {
	ID string
	// Commit is the 40-hex commit the revision resolved to ("sha").
	Commit  string
	Private bool
	// Gated is "" for an open repo, else "auto" or "manual".
	Gated string
	Files []RepoFile
}

// RepoFile is one file of a repo revision ("siblings").
type RepoFile struct {
	// Path is slash-separated and relative ("rfilename"), checked to stay
	// inside the repo.
	Path string
	// Size in bytes of the file's content; -1 when the Hub did not say.
	Size int64
	// BlobID is the git blob sha1 (of the LFS pointer, for an LFS file);
	// empty when the Hub did not say.
	BlobID string
	// LFSSHA256 is the sha256 of an LFS file's content; empty for a file
	// stored in git.
	LFSSHA256 string
}

// ETag is the name the file's blob gets in a cache: the sha256 of an LFS
// file, the git blob sha1 of any other, as the Hub's ETag headers say.
func (f RepoFile) ETag() string {
	if f.LFSSHA256 != "" {
		return f.LFSSHA256
	}
	return f.BlobID
}

// RepoInfo asks the Hub about repo at revision, with the files' sizes and
// hashes. Errors are *HubError (unknown repo or revision, gated, ...),
// ErrOffline, or network errors.
func (c *Client) RepoInfo(ctx context.Context, repo, revision string) (RepoInfo, error) {
	if err := ValidateRepoID(repo); err != nil {
		return RepoInfo{}, fmt.Errorf("hub: %w", err)
	}
	if revision == "" {
		revision = DefaultRevision
	}
	if err := ValidateRevision(revision); err != nil {
		return RepoInfo{}, fmt.Errorf("hub: %s: %w", repo, err)
	}
	u := c.endpoint() + "/api/models/" + repo + "/revision/" + url.PathEscape(revision) + "?blobs=true"
	var body []byte
	err := c.withRetry(ctx, func() error {
		resp, err := c.do(ctx, request{method: "GET", url: u, repo: repo, revision: revision, followRedirect: true})
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, err = io.ReadAll(io.LimitReader(resp.Body, maxRepoInfoSize+1))
		if err != nil {
			return fmt.Errorf("hub: %s: reading %s: %w: %w", repo, u, errNetwork, err)
		}
		return nil
	})
	if err != nil {
		return RepoInfo{}, err
	}
	if len(body) > maxRepoInfoSize {
		return RepoInfo{}, fmt.Errorf("hub: %s: the answer of %s is over %d bytes", repo, u, maxRepoInfoSize)
	}
	info, err := ParseRepoInfo(body)
	if err != nil {
		return RepoInfo{}, fmt.Errorf("hub: %s@%s: %s: %w", repo, revision, u, err)
	}
	return info, nil
}

// repoInfoJSON is the wire shape of the model-info answer; only the fields
// hfserve uses.
type repoInfoJSON struct {
	ID       string          `json:"id"`
	SHA      string          `json:"sha"`
	Private  bool            `json:"private"`
	Gated    json.RawMessage `json:"gated"` // false, "auto" or "manual"
	Siblings []struct {
		RFilename string `json:"rfilename"`
		BlobID    string `json:"blobId"`
		Size      *int64 `json:"size"`
		LFS       *struct {
			SHA256 string `json:"sha256"`
			Size   *int64 `json:"size"`
		} `json:"lfs"`
	} `json:"siblings"`
}

// ParseRepoInfo parses and checks the Hub's model-info JSON: the commit is
// a 40-hex hash, every file path stays inside the repo and appears once,
// hashes are hex of the right length and sizes are not negative. The
// checks matter because paths become files on disk and hashes file names.
func ParseRepoInfo(body []byte) (RepoInfo, error) {
	var raw repoInfoJSON
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&raw); err != nil {
		return RepoInfo{}, fmt.Errorf("model info is not valid JSON: %w", err)
	}
	if !IsCommitHash(raw.SHA) {
		return RepoInfo{}, fmt.Errorf("model info has no commit hash (sha %q)", truncate(raw.SHA))
	}
	info := RepoInfo{ID: raw.ID, Commit: raw.SHA, Private: raw.Private}
	gated, err := parseGated(raw.Gated)
	if err != nil {
		return RepoInfo{}, err
	}
	info.Gated = gated
	seen := make(map[string]bool, len(raw.Siblings))
	for _, s := range raw.Siblings {
		if err := ValidateRepoPath(s.RFilename); err != nil {
			return RepoInfo{}, fmt.Errorf("model info: %w", err)
		}
		if seen[s.RFilename] {
			return RepoInfo{}, fmt.Errorf("model info lists %q twice", s.RFilename)
		}
		seen[s.RFilename] = true
		f := RepoFile{Path: s.RFilename, Size: -1, BlobID: s.BlobID}
		if f.BlobID != "" && !isHex(f.BlobID, 40) {
			return RepoInfo{}, fmt.Errorf("model info: %s: blobId %q is not a git sha1", s.RFilename, truncate(f.BlobID))
		}
		if s.Size != nil {
			f.Size = *s.Size
		}
		if s.LFS != nil {
			if !isHex(s.LFS.SHA256, 64) {
				return RepoInfo{}, fmt.Errorf("model info: %s: lfs sha256 %q is not a sha256", s.RFilename, truncate(s.LFS.SHA256))
			}
			f.LFSSHA256 = s.LFS.SHA256
			if s.LFS.Size != nil {
				f.Size = *s.LFS.Size
			}
		}
		if f.Size < -1 || (s.Size != nil && *s.Size < 0) {
			return RepoInfo{}, fmt.Errorf("model info: %s: negative size", s.RFilename)
		}
		info.Files = append(info.Files, f)
	}
	return info, nil
}

// parseGated reads "gated": false (or absent), "auto" or "manual".
func parseGated(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" || string(raw) == "false" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		if string(raw) == "true" {
			return "manual", nil
		}
		return "", fmt.Errorf("model info: gated is %s, not false or a string", truncate(string(raw)))
	}
	return truncate(s), nil
}

// ValidateRepoPath checks that a file path from the Hub is safe to create
// under a snapshot folder: relative, slash-separated, no empty, "." or ".."
// element, no backslash or control character, at most 1024 bytes.
func ValidateRepoPath(p string) error {
	if p == "" {
		return fmt.Errorf("empty file path")
	}
	if len(p) > maxRepoPathLen {
		return fmt.Errorf("file path of %d bytes (at most %d)", len(p), maxRepoPathLen)
	}
	for _, c := range []byte(p) {
		if c < ' ' || c == 0x7f || c == '\\' {
			return fmt.Errorf("file path %q has a control character or backslash", truncate(p))
		}
	}
	for _, elem := range strings.Split(p, "/") {
		if elem == "" || elem == "." || elem == ".." {
			return fmt.Errorf("file path %q leaves the repo or has an empty element", truncate(p))
		}
	}
	return nil
}

// isHex reports whether s is n lowercase hex digits.
func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// truncate bounds untrusted text quoted in an error.
func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
