package hubtest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// The JSON shapes of the Hub API answers; only what clients read.
type (
	lfsInfo struct {
		SHA256      string `json:"sha256"`
		Size        int    `json:"size"`
		PointerSize int    `json:"pointerSize"`
	}
	sibling struct {
		RFilename string   `json:"rfilename"`
		BlobID    string   `json:"blobId,omitempty"`
		Size      *int     `json:"size,omitempty"`
		LFS       *lfsInfo `json:"lfs,omitempty"`
	}
	modelInfo struct {
		MongoID      string    `json:"_id"`
		ID           string    `json:"id"`
		ModelID      string    `json:"modelId"`
		Author       string    `json:"author,omitempty"`
		SHA          string    `json:"sha"`
		LastModified string    `json:"lastModified"`
		CreatedAt    string    `json:"createdAt"`
		Private      bool      `json:"private"`
		Disabled     bool      `json:"disabled"`
		Gated        any       `json:"gated"` // false, "auto" or "manual"
		Tags         []string  `json:"tags"`
		Downloads    int       `json:"downloads"`
		Likes        int       `json:"likes"`
		Siblings     []sibling `json:"siblings"`
	}
	treeLFS struct {
		OID         string `json:"oid"`
		Size        int    `json:"size"`
		PointerSize int    `json:"pointerSize"`
	}
	treeEntry struct {
		Type string   `json:"type"`
		OID  string   `json:"oid"`
		Size int      `json:"size"`
		Path string   `json:"path"`
		LFS  *treeLFS `json:"lfs,omitempty"`
	}
)

// serveAPI answers /api/models/{repo}...: model info, tree, paths-info.
func (h *Hub) serveAPI(w http.ResponseWriter, r *http.Request, segs []string) {
	if fault, ok := h.takeFault("", true); ok && fault.Status != 0 {
		hubError(w, fault.Status, "", http.StatusText(fault.Status))
		return
	}
	for _, marker := range []string{"revision", "tree", "paths-info"} {
		id, rest, ok := splitRepo(segs, marker)
		if !ok || len(rest) == 0 {
			continue
		}
		switch {
		case marker == "revision" && r.Method == http.MethodGet:
			h.serveInfo(w, r, id, rest[0])
		case marker == "tree" && r.Method == http.MethodGet:
			h.serveTree(w, r, id, rest[0], strings.Join(rest[1:], "/"))
		case marker == "paths-info" && r.Method == http.MethodPost:
			h.servePathsInfo(w, r, id, rest[0])
		default:
			http.NotFound(w, r)
		}
		return
	}
	if r.Method == http.MethodGet && len(segs) <= 2 {
		h.serveInfo(w, r, strings.Join(segs, "/"), "main")
		return
	}
	http.NotFound(w, r)
}

func (h *Hub) serveInfo(w http.ResponseWriter, r *http.Request, id, rev string) {
	rp, c, ok := h.lookup(w, r, id, rev, false)
	if !ok {
		return
	}
	blobs := r.URL.Query().Get("blobs") == "true"
	info := modelInfo{
		MongoID: "0123456789abcdef01234567", ID: id, ModelID: id, SHA: c.hash,
		LastModified: created.Format("2006-01-02T15:04:05.000Z"), CreatedAt: created.Format("2006-01-02T15:04:05.000Z"),
		Private: rp.private, Gated: false, Tags: []string{}, Siblings: []sibling{},
	}
	if org, _, found := strings.Cut(id, "/"); found {
		info.Author = org
	}
	if rp.gated != "" {
		info.Gated = rp.gated
	}
	for _, path := range sortedPaths(c) {
		f := c.files[path]
		s := sibling{RFilename: path}
		if blobs {
			size := len(f.content)
			s.BlobID, s.Size = f.blobID, &size
			if f.lfs {
				s.LFS = &lfsInfo{SHA256: f.sha256, Size: size, PointerSize: len(f.pointer)}
			}
		}
		info.Siblings = append(info.Siblings, s)
	}
	writeJSON(w, info)
}

// serveTree lists the files (and folders) under prefix; recursive=true
// lists every level, else only the one below prefix.
func (h *Hub) serveTree(w http.ResponseWriter, r *http.Request, id, rev, prefix string) {
	_, c, ok := h.lookup(w, r, id, rev, false)
	if !ok {
		return
	}
	recursive := r.URL.Query().Get("recursive") == "true" || r.URL.Query().Get("recursive") == "1"
	entries := []treeEntry{}
	dirs := map[string]bool{}
	for _, path := range sortedPaths(c) {
		rel := path
		if prefix != "" {
			var found bool
			if rel, found = strings.CutPrefix(path, prefix+"/"); !found {
				continue
			}
		}
		parts := strings.Split(rel, "/")
		for i := 1; i < len(parts); i++ {
			dir := strings.Join(parts[:i], "/")
			if prefix != "" {
				dir = prefix + "/" + dir
			}
			if !dirs[dir] && (recursive || i == 1) {
				dirs[dir] = true
				entries = append(entries, treeEntry{Type: "directory", OID: GitBlobSHA1([]byte(dir)), Path: dir})
			}
		}
		if !recursive && len(parts) > 1 {
			continue
		}
		entries = append(entries, fileEntry(c.files[path]))
	}
	if len(entries) == 0 && prefix != "" {
		hubError(w, http.StatusNotFound, "EntryNotFound", "Entry not found")
		return
	}
	writeJSON(w, entries)
}

// servePathsInfo answers POST paths-info: the entries of the paths asked
// for (form field "paths", repeated, or a JSON body {"paths": [...]}).
func (h *Hub) servePathsInfo(w http.ResponseWriter, r *http.Request, id, rev string) {
	_, c, ok := h.lookup(w, r, id, rev, false)
	if !ok {
		return
	}
	var paths []string
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var body struct {
			Paths []string `json:"paths"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&body); err != nil {
			hubError(w, http.StatusBadRequest, "", "bad JSON body")
			return
		}
		paths = body.Paths
	} else {
		if err := r.ParseForm(); err != nil {
			hubError(w, http.StatusBadRequest, "", "bad form body")
			return
		}
		paths = r.PostForm["paths"]
	}
	entries := []treeEntry{}
	for _, p := range paths {
		if f := c.files[p]; f != nil {
			entries = append(entries, fileEntry(f))
		}
	}
	writeJSON(w, entries)
}

func fileEntry(f *file) treeEntry {
	e := treeEntry{Type: "file", OID: f.blobID, Size: len(f.content), Path: f.path}
	if f.lfs {
		e.LFS = &treeLFS{OID: f.sha256, Size: len(f.content), PointerSize: len(f.pointer)}
	}
	return e
}

func sortedPaths(c *commit) []string {
	paths := make([]string, 0, len(c.files))
	for p := range c.files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	return paths
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(v)
}
