package hub

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// maxETagLen bounds an ETag: it becomes a file name under blobs/.
const maxETagLen = 128

// maxRelativeRedirects bounds the same-host redirects a HEAD follows (a
// renamed repo redirects once).
const maxRelativeRedirects = 5

// fileMeta is what a HEAD of /{repo}/resolve/{revision}/{path} says, read
// as huggingface_hub's get_hf_file_metadata reads it.
type fileMeta struct {
	// Commit is X-Repo-Commit: the commit the revision resolved to.
	Commit string
	// ETag is X-Linked-Etag (LFS files: the sha256 of the content), else
	// ETag (git files: the blob's sha1), normalised (no W/, no quotes).
	ETag string
	// Size is X-Linked-Size, else Content-Length; -1 when neither says.
	Size int64
	// Location is where the content is: the Location of a redirect to
	// storage, else the resolve URL itself.
	Location string
}

// fileMetadata sends the HEAD. Like huggingface_hub it follows only
// relative redirects (a renamed repo) and reads a redirect to another host
// (the storage CDN) as the file's location.
func (c *Client) fileMetadata(ctx context.Context, repo, revision, path string) (fileMeta, error) {
	var meta fileMeta
	err := c.withRetry(ctx, func() error {
		var err error
		meta, err = c.headFile(ctx, repo, revision, path)
		return err
	})
	return meta, err
}

// headFile is one try of fileMetadata.
func (c *Client) headFile(ctx context.Context, repo, revision, path string) (fileMeta, error) {
	u := c.resolveURL(repo, revision, path)
	for range maxRelativeRedirects {
		resp, err := c.do(ctx, request{method: "HEAD", url: u, repo: repo, revision: revision, path: path})
		if err != nil {
			return fileMeta{}, err
		}
		resp.Body.Close()
		loc := resp.Header.Get("Location")
		if resp.StatusCode >= 300 && resp.StatusCode < 400 && loc != "" {
			target, err := url.Parse(loc)
			if err != nil {
				return fileMeta{}, fmt.Errorf("hub: HEAD %s: bad Location %q: %w", u, truncate(loc), err)
			}
			from, _ := url.Parse(u) // u was sent, so it parses
			if target.Host == "" {
				u = from.ResolveReference(target).String()
				continue
			}
			return parseFileMeta(resp.Header, from.ResolveReference(target).String())
		}
		if resp.StatusCode != http.StatusOK {
			return fileMeta{}, fmt.Errorf("hub: HEAD %s: unexpected status %s", u, resp.Status)
		}
		return parseFileMeta(resp.Header, u)
	}
	return fileMeta{}, fmt.Errorf("hub: HEAD %s: more than %d redirects", u, maxRelativeRedirects)
}

// parseFileMeta reads the metadata headers of a resolve answer; location
// is where the content can be fetched.
func parseFileMeta(h http.Header, location string) (fileMeta, error) {
	m := fileMeta{Commit: h.Get("X-Repo-Commit"), Location: location, Size: -1}
	if m.Commit != "" && !IsCommitHash(m.Commit) {
		return fileMeta{}, fmt.Errorf("hub: %s: X-Repo-Commit %q is not a commit hash", location, truncate(m.Commit))
	}
	raw := h.Get("X-Linked-Etag")
	if raw == "" {
		raw = h.Get("ETag")
	}
	etag, err := ParseETag(raw)
	if err != nil {
		return fileMeta{}, fmt.Errorf("hub: %s: %w", location, err)
	}
	m.ETag = etag
	size := h.Get("X-Linked-Size")
	if size == "" {
		size = h.Get("Content-Length")
	}
	if size != "" {
		n, err := strconv.ParseInt(size, 10, 64)
		if err != nil || n < 0 {
			return fileMeta{}, fmt.Errorf("hub: %s: file size %q is not a byte count", location, truncate(size))
		}
		m.Size = n
	}
	return m, nil
}

// ParseETag normalises an ETag header as huggingface_hub's _normalize_etag
// (a weak "W/" prefix and the quotes removed) and checks that the result
// can name a blob file: not empty, at most 128 bytes, no '/', '\\', control
// character or space, not "." or "..".
func ParseETag(raw string) (string, error) {
	etag := strings.Trim(strings.TrimPrefix(strings.TrimSpace(raw), "W/"), `"`)
	switch {
	case etag == "":
		return "", fmt.Errorf("the Hub sent no ETag, so the file cannot be named in the cache")
	case len(etag) > maxETagLen:
		return "", fmt.Errorf("ETag of %d bytes (at most %d)", len(etag), maxETagLen)
	case etag == "." || etag == "..":
		return "", fmt.Errorf("ETag %q cannot name a file", etag)
	}
	for _, c := range []byte(etag) {
		if c <= ' ' || c == 0x7f || c == '/' || c == '\\' || c == '"' {
			return "", fmt.Errorf("ETag %q cannot name a file", truncate(etag))
		}
	}
	return etag, nil
}

// contentRange is a parsed "Content-Range: bytes first-last/total".
type contentRange struct {
	First, Last int64
	Total       int64 // -1 for "*"
}

// ParseContentRange parses a 206 answer's Content-Range (RFC 9110
// §14.4): "bytes FIRST-LAST/TOTAL", TOTAL possibly "*". It returns first,
// last and total (-1 when unknown).
func ParseContentRange(v string) (first, last, total int64, err error) {
	cr, err := parseContentRange(v)
	return cr.First, cr.Last, cr.Total, err
}

func parseContentRange(v string) (contentRange, error) {
	bad := func() (contentRange, error) {
		return contentRange{}, fmt.Errorf("bad Content-Range %q", truncate(v))
	}
	rest, ok := strings.CutPrefix(v, "bytes ")
	if !ok {
		return bad()
	}
	span, totalText, ok := strings.Cut(rest, "/")
	if !ok {
		return bad()
	}
	firstText, lastText, ok := strings.Cut(span, "-")
	if !ok {
		return bad()
	}
	first, err1 := parseDigits(firstText)
	last, err2 := parseDigits(lastText)
	if err1 != nil || err2 != nil || last < first {
		return bad()
	}
	cr := contentRange{First: first, Last: last, Total: -1}
	if totalText != "*" {
		total, err := parseDigits(totalText)
		if err != nil || total <= last {
			return bad()
		}
		cr.Total = total
	}
	return cr, nil
}

// parseDigits parses a non-negative decimal without sign or spaces.
func parseDigits(s string) (int64, error) {
	if s == "" || len(s) > 18 {
		return 0, fmt.Errorf("not a byte position: %q", s)
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("not a byte position: %q", s)
		}
	}
	return strconv.ParseInt(s, 10, 64)
}
