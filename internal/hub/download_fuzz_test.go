package hub

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

func FuzzParseRepoInfo(f *testing.F) {
	f.Add([]byte(`{"id":"org/m","sha":"` + commitA + `","gated":false,"siblings":[{"rfilename":"config.json","blobId":"` + commitB + `","size":10},` +
		`{"rfilename":"model.safetensors","blobId":"` + commitC + `","size":5,"lfs":{"sha256":"` + strings.Repeat("ab", 32) + `","size":5,"pointerSize":130}}]}`))
	f.Add([]byte(`{"sha":"` + commitA + `","gated":"manual","siblings":[{"rfilename":"../etc/passwd"}]}`))
	f.Add([]byte(`{"sha":"` + commitA + `","siblings":[{"rfilename":"a"},{"rfilename":"a"}]}`))
	f.Add([]byte(`{"sha":"main"}`))
	f.Add([]byte(`{"sha":"` + commitA + `","siblings":[{"rfilename":"x","size":-4}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		info, err := ParseRepoInfo(body)
		if err != nil {
			return
		}
		if !IsCommitHash(info.Commit) {
			t.Fatalf("accepted commit %q", info.Commit)
		}
		seen := map[string]bool{}
		for _, f := range info.Files {
			// Every accepted path must stay inside a snapshot folder.
			if !filepath.IsLocal(filepath.FromSlash(f.Path)) || strings.Contains(f.Path, "\\") || seen[f.Path] {
				t.Fatalf("accepted path %q", f.Path)
			}
			seen[f.Path] = true
			if f.Size < -1 {
				t.Fatalf("accepted size %d", f.Size)
			}
			if e := f.ETag(); e != "" {
				if _, err := ParseETag(e); err != nil {
					t.Fatalf("accepted a hash that cannot name a blob: %q", e)
				}
			}
		}
	})
}

func FuzzParseETag(f *testing.F) {
	for _, s := range []string{`"` + commitA + `"`, `W/"abc"`, `""`, `"../x"`, `"a/b"`, "..", `"` + strings.Repeat("a", 200) + `"`, "x y", "\"\x00\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		etag, err := ParseETag(raw)
		if err != nil {
			return
		}
		// The blob name must be one plain file name inside blobs/.
		if filepath.Base(etag) != etag || !filepath.IsLocal(etag) || strings.ContainsAny(etag, "/\\\" \x00") || len(etag) > maxETagLen {
			t.Fatalf("ParseETag(%q) = %q, which cannot name a blob", raw, etag)
		}
	})
}

func FuzzParseContentRange(f *testing.F) {
	for _, s := range []string{"bytes 0-99/100", "bytes 10-19/*", "bytes 5-4/10", "bytes 0-9/5", "bytes -1-3/4", "bytes 0-0/1", "items 0-1/2", "bytes 99999999999999999999-1/2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		first, last, total, err := ParseContentRange(v)
		if err != nil {
			return
		}
		if first < 0 || last < first || (total != -1 && total <= last) {
			t.Fatalf("ParseContentRange(%q) = %d, %d, %d", v, first, last, total)
		}
		// What parses names the same numbers as the text.
		if !strings.HasPrefix(v, "bytes ") || !strings.Contains(v, fmt.Sprint(last)) {
			t.Fatalf("ParseContentRange(%q) = %d, %d, %d", v, first, last, total)
		}
	})
}

func FuzzCompileGlob(f *testing.F) {
	for _, c := range globCases {
		f.Add(c.pattern, c.name)
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		g, err := CompileGlob(pattern)
		if err != nil {
			return
		}
		g.MatchString(name)
		// A pattern without special characters matches exactly itself.
		if !strings.ContainsAny(pattern, "*?[") && !strings.HasSuffix(pattern, "/") && g.MatchString(name) != (name == pattern) {
			t.Fatalf("literal pattern %q vs %q: match %v", pattern, name, g.MatchString(name))
		}
	})
}
