package hubtest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func do(t *testing.T, method, url string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestHubAnswersLikeTheHub(t *testing.T) {
	h := New()
	defer h.Close()
	weights := []byte(strings.Repeat("w", 100))
	commit := h.AddRepo("org/m", map[string][]byte{"config.json": []byte(`{"a":1}`), "model.safetensors": weights})
	h.SetGated("org/m", "tok")
	sum := sha256.Sum256(weights)
	sha := hex.EncodeToString(sum[:])
	auth := map[string]string{"Authorization": "Bearer tok"}

	resp, _ := do(t, "HEAD", h.URL+"/org/m/resolve/main/model.safetensors", auth)
	if resp.StatusCode != http.StatusFound || resp.Header.Get("X-Linked-Etag") != `"`+sha+`"` ||
		resp.Header.Get("X-Linked-Size") != "100" || resp.Header.Get("X-Repo-Commit") != commit ||
		resp.Header.Get("Location") != h.URL+"/storage/"+sha {
		t.Errorf("HEAD of an LFS file: %d %v", resp.StatusCode, resp.Header)
	}
	resp, body := do(t, "GET", h.URL+"/storage/"+sha, map[string]string{"Range": "bytes=90-"})
	if resp.StatusCode != http.StatusPartialContent || resp.Header.Get("Content-Range") != "bytes 90-99/100" || body != strings.Repeat("w", 10) {
		t.Errorf("Range GET: %d %v %q", resp.StatusCode, resp.Header, body)
	}
	resp, body = do(t, "GET", h.URL+"/org/m/resolve/"+commit+"/config.json", auth)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") != strconv.Quote(GitBlobSHA1([]byte(`{"a":1}`))) || body != `{"a":1}` {
		t.Errorf("GET of a git file: %d %v %q", resp.StatusCode, resp.Header, body)
	}

	for _, tt := range []struct {
		name, url string
		header    map[string]string
		status    int
		code      string
	}{
		{"gated, no token", "/org/m/resolve/main/config.json", nil, 401, "GatedRepo"},
		{"gated, other token", "/org/m/resolve/main/config.json", map[string]string{"Authorization": "Bearer other"}, 401, ""},
		{"unknown repo", "/api/models/org/nope/revision/main", nil, 401, "RepoNotFound"},
		{"unknown repo, token", "/api/models/org/nope/revision/main", auth, 404, "RepoNotFound"},
		{"unknown revision", "/api/models/org/m/revision/v9", nil, 404, "RevisionNotFound"},
		{"unknown file", "/org/m/resolve/main/nope.json", auth, 404, "EntryNotFound"},
	} {
		resp, _ := do(t, "GET", h.URL+tt.url, tt.header)
		if resp.StatusCode != tt.status || resp.Header.Get("X-Error-Code") != tt.code || resp.Header.Get("X-Error-Message") == "" {
			t.Errorf("%s: %d %q, want %d %q", tt.name, resp.StatusCode, resp.Header.Get("X-Error-Code"), tt.status, tt.code)
		}
	}

	// The model info of a gated repo is public, as on the Hub.
	resp, body = do(t, "GET", h.URL+"/api/models/org/m/revision/main?blobs=true", nil)
	var info struct {
		SHA      string `json:"sha"`
		Gated    any    `json:"gated"`
		Siblings []struct {
			RFilename string `json:"rfilename"`
			Size      int    `json:"size"`
			LFS       *struct {
				SHA256 string `json:"sha256"`
			} `json:"lfs"`
		} `json:"siblings"`
	}
	if err := json.Unmarshal([]byte(body), &info); err != nil || resp.StatusCode != 200 {
		t.Fatalf("model info: %d %v %s", resp.StatusCode, err, body)
	}
	if info.SHA != commit || info.Gated != "manual" || len(info.Siblings) != 2 || info.Siblings[1].LFS == nil ||
		info.Siblings[1].LFS.SHA256 != sha || info.Siblings[1].Size != 100 || info.Siblings[0].LFS != nil {
		t.Errorf("model info: %+v", info)
	}
}
