package hubtest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// created is the fixed time the fake repos report.
var created = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

func (h *Hub) serve(w http.ResponseWriter, r *http.Request) {
	h.record(r)
	segs, ok := splitEscaped(r.URL.EscapedPath())
	if !ok {
		http.NotFound(w, r)
		return
	}
	switch {
	case len(segs) >= 2 && segs[0] == "storage" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		h.serveStorage(w, r, segs[1])
	case len(segs) >= 3 && segs[0] == "api" && segs[1] == "models":
		h.serveAPI(w, r, segs[2:])
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		h.serveResolve(w, r, segs)
	default:
		http.NotFound(w, r)
	}
}

func (h *Hub) record(r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.requests = append(h.requests, Request{Method: r.Method, Path: r.URL.EscapedPath(), Range: r.Header.Get("Range"), Token: bearer(r)})
}

// splitEscaped splits an escaped path on '/' and unescapes each segment,
// so that an escaped revision ("refs%2Fpr%2F1") stays one segment.
func splitEscaped(p string) ([]string, bool) {
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, s := range parts {
		u, err := url.PathUnescape(s)
		if err != nil {
			return nil, false
		}
		parts[i] = u
	}
	return parts, true
}

func bearer(r *http.Request) string {
	t, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return t
}

// hubError answers as the Hub does: X-Error-Code, X-Error-Message and a
// JSON body {"error": message}.
func hubError(w http.ResponseWriter, status int, code, message string) {
	if code != "" {
		w.Header().Set("X-Error-Code", code)
	}
	w.Header().Set("X-Error-Message", message)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": message})
}

// splitRepo takes the repo id off the front of segs, before the segment
// marker ("resolve", "revision", "tree", "paths-info"): "org/name" or the
// legacy "name".
func splitRepo(segs []string, marker string) (id string, rest []string, ok bool) {
	for i := 1; i <= 2 && i < len(segs); i++ {
		if segs[i] == marker {
			return strings.Join(segs[:i], "/"), segs[i+1:], true
		}
	}
	return "", nil, false
}

// lookup finds repo id at rev with the caller's access checked: see the
// package doc for the statuses. files says the caller wants file content
// (gating applies only there).
func (h *Hub) lookup(w http.ResponseWriter, r *http.Request, id, rev string, files bool) (*repo, *commit, bool) {
	token := bearer(r)
	h.mu.Lock()
	defer h.mu.Unlock()
	if token != "" && !h.tokens[token] {
		hubError(w, http.StatusUnauthorized, "", "Invalid credentials in Authorization header")
		return nil, nil, false
	}
	rp := h.repos[id]
	if rp == nil || (rp.private && !rp.granted[token]) {
		status := http.StatusNotFound
		if token == "" {
			status = http.StatusUnauthorized
		}
		hubError(w, status, "RepoNotFound", "Repository not found")
		return nil, nil, false
	}
	if files && rp.gated != "" && !rp.granted[token] {
		if token == "" {
			hubError(w, http.StatusUnauthorized, "GatedRepo", "Access to model "+id+
				" is restricted. You must have access to it and be authenticated to access it. Please log in.")
		} else {
			hubError(w, http.StatusForbidden, "GatedRepo", "Access to model "+id+
				" is restricted and you are not in the authorized list. Visit https://huggingface.co/"+id+" to ask for access.")
		}
		return nil, nil, false
	}
	hash := rp.refs[rev]
	if hash == "" {
		hash = rev
	}
	c := rp.commits[hash]
	if c == nil {
		hubError(w, http.StatusNotFound, "RevisionNotFound", "Invalid rev id: "+rev)
		return nil, nil, false
	}
	return rp, c, true
}

// serveResolve answers HEAD/GET /{repo}/resolve/{rev}/{path}.
func (h *Hub) serveResolve(w http.ResponseWriter, r *http.Request, segs []string) {
	id, rest, ok := splitRepo(segs, "resolve")
	if !ok || len(rest) < 2 {
		http.NotFound(w, r)
		return
	}
	rev, path := rest[0], strings.Join(rest[1:], "/")
	_, c, ok := h.lookup(w, r, id, rev, true)
	if !ok {
		return
	}
	f := c.files[path]
	if f == nil {
		hubError(w, http.StatusNotFound, "EntryNotFound", "Entry not found")
		return
	}
	hdr := w.Header()
	hdr.Set("X-Repo-Commit", c.hash)
	hdr.Set("Accept-Ranges", "bytes")
	if f.lfs {
		hdr.Set("ETag", strconv.Quote(f.blobID))
		hdr.Set("X-Linked-Etag", strconv.Quote(f.sha256))
		hdr.Set("X-Linked-Size", strconv.Itoa(len(f.content)))
		hdr.Set("Location", h.URL+"/storage/"+f.sha256)
		w.WriteHeader(http.StatusFound)
		return
	}
	hdr.Set("ETag", strconv.Quote(f.blobID))
	h.serveContent(w, r, f)
}

// serveStorage answers the CDN stand-in: an LFS file's content by sha256.
func (h *Hub) serveStorage(w http.ResponseWriter, r *http.Request, sha string) {
	h.mu.Lock()
	var found *file
	for _, rp := range h.repos {
		for _, c := range rp.commits {
			for _, f := range c.files {
				if f.lfs && f.sha256 == sha {
					found = f
				}
			}
		}
	}
	h.mu.Unlock()
	if found == nil {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte("<Error><Code>NoSuchKey</Code></Error>"))
		return
	}
	w.Header().Set("ETag", strconv.Quote("cdn-"+sha[:16]))
	h.serveContent(w, r, found)
}

// serveContent writes a file's bytes with Range support, applying any
// fault for it.
func (h *Hub) serveContent(w http.ResponseWriter, r *http.Request, f *file) {
	content := f.content
	if r.Method == http.MethodGet {
		if fault, ok := h.takeFault(f.path, false); ok {
			if fault.Status != 0 {
				hubError(w, fault.Status, "", http.StatusText(fault.Status))
				return
			}
			if fault.Corrupt {
				content = corrupt(content)
			}
			if fault.DropAfter > 0 {
				fw := &faultyWriter{ResponseWriter: w, dropAfter: fault.DropAfter}
				if fault.Stall {
					fw.stall = r.Context().Done()
				}
				w = fw
			}
		}
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	// ServeContent answers Range with 206 and Content-Range, and HEAD
	// with the length only.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(content))
}
