package hub

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// DefaultRevision is the revision a repo reference gets when none is named,
// as in huggingface_hub.
const DefaultRevision = "main"

// maxRefLen bounds a reference string; anything longer is a mistake, and the
// bound keeps error messages and file-system lookups small.
const maxRefLen = 4096

// Ref names a model: a folder on disk (Path) or a Hub repo (Repo at
// Revision), optionally with an Alias to serve it under. Exactly one of Path
// and Repo is set.
type Ref struct {
	// Alias is the name the model is served under; empty means [Ref.Name].
	Alias string
	// Path is an absolute, cleaned folder path; empty for a repo reference.
	Path string
	// Repo is a Hub repo id, "org/name" or the legacy "name"; empty for a
	// path reference.
	Repo string
	// Revision is a branch, tag or commit of Repo ("main" by default);
	// empty for a path reference.
	Revision string
}

// ParseRef parses a model reference: "[alias=]REF".
//
// The alias prefix is recognised only when the text before the first '='
// contains no '/', so a path such as "/models/a=b" is a path; the alias must
// match [A-Za-z0-9._:-]+. (A folder whose own name contains '=' can be named
// as "./a=b".)
//
// REF is a path when it is absolute, starts with "./", "../" or "~/" (or is
// ".", ".." or "~"), or names something that exists on disk; a path is made
// absolute and cleaned. Otherwise it is a Hub repo id "org/name[@revision]"
// or the legacy "name[@revision]", validated as huggingface_hub validates
// repo ids (see [ValidateRepoID]); the revision defaults to "main".
func ParseRef(s string) (Ref, error) {
	if len(s) > maxRefLen {
		return Ref{}, fmt.Errorf("hub: model reference is %d bytes long (at most %d)", len(s), maxRefLen)
	}
	if strings.TrimSpace(s) == "" {
		return Ref{}, errors.New("hub: empty model reference")
	}
	var ref Ref
	rest := s
	if before, after, ok := strings.Cut(s, "="); ok && !strings.Contains(before, "/") {
		if err := validateAlias(before); err != nil {
			return Ref{}, fmt.Errorf("hub: model reference %q: %w", s, err)
		}
		ref.Alias, rest = before, after
		if rest == "" {
			return Ref{}, fmt.Errorf("hub: model reference %q: nothing after %q", s, before+"=")
		}
	}
	if looksLikePath(rest) {
		p, err := absPath(rest)
		if err != nil {
			return Ref{}, fmt.Errorf("hub: model reference %q: %w", s, err)
		}
		ref.Path = p
		// Made absolute (or with ~ expanded) the reference can outgrow the
		// bound; refuse it then, so that every accepted reference prints
		// (String) as one that parses back to itself.
		if n := len(ref.String()); n > maxRefLen {
			return Ref{}, fmt.Errorf("hub: model reference is %d bytes long once made absolute (at most %d)", n, maxRefLen)
		}
		return ref, nil
	}
	repo, rev, hasRev := strings.Cut(rest, "@")
	if !hasRev {
		rev = DefaultRevision
	}
	if err := ValidateRepoID(repo); err != nil {
		return Ref{}, fmt.Errorf("hub: model reference %q is neither a folder on disk nor a Hub repo id: %w", s, err)
	}
	if err := ValidateRevision(rev); err != nil {
		return Ref{}, fmt.Errorf("hub: model reference %q: %w", s, err)
	}
	ref.Repo, ref.Revision = repo, rev
	return ref, nil
}

// String formats r so that ParseRef(r.String()) gives r back. The default
// revision "main" is left out.
func (r Ref) String() string {
	var b strings.Builder
	if r.Alias != "" {
		b.WriteString(r.Alias)
		b.WriteByte('=')
	}
	switch {
	case r.Path != "":
		b.WriteString(r.Path)
	default:
		b.WriteString(r.Repo)
		if r.Revision != "" && r.Revision != DefaultRevision {
			b.WriteByte('@')
			b.WriteString(r.Revision)
		}
	}
	return b.String()
}

// Name is the name the model is served under: the alias if set, else the
// repo id, else the folder's base name.
func (r Ref) Name() string {
	switch {
	case r.Alias != "":
		return r.Alias
	case r.Repo != "":
		return r.Repo
	default:
		return filepath.Base(r.Path)
	}
}

// validateAlias checks the characters a served model name may use: they
// appear in URLs and JSON without escaping.
func validateAlias(a string) error {
	if a == "" {
		return errors.New("empty alias before '='")
	}
	for i := 0; i < len(a); i++ {
		c := a[i]
		if !isAlnum(c) && !strings.ContainsRune("._:-", rune(c)) {
			return fmt.Errorf("alias %q: only letters, digits and . _ : - are allowed", a)
		}
	}
	return nil
}

// looksLikePath reports whether a reference names a folder rather than a
// repo id: explicit path syntax, or anything present on disk (as
// transformers' from_pretrained prefers a local folder of the same name).
func looksLikePath(s string) bool {
	switch {
	case s == "." || s == ".." || s == "~":
		return true
	case filepath.IsAbs(s):
		return true
	case strings.HasPrefix(s, "./"), strings.HasPrefix(s, "../"), strings.HasPrefix(s, "~/"):
		return true
	}
	_, err := os.Lstat(s)
	return err == nil
}

// absPath expands a leading "~" and makes p absolute.
func absPath(p string) (string, error) {
	if p == "~" || strings.HasPrefix(p, "~/") {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("expanding %q: %w", p, err)
		}
		p = filepath.Join(home, p[1:])
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("making %q absolute: %w", p, err)
	}
	return abs, nil
}

// maxRepoNameLen is huggingface_hub's limit on the name part of a repo id.
const maxRepoNameLen = 96

// ValidateRepoID checks a repo id the way huggingface_hub's validate_repo_id
// does: "name" or "namespace/name"; each part made of ASCII letters, digits,
// '-', '_' and '.', starting and ending with a letter, digit or '_'; the name
// at most 96 characters; no "--" or ".." anywhere; not ending in ".git".
func ValidateRepoID(id string) error {
	if id == "" {
		return errors.New("empty repo id")
	}
	parts := strings.Split(id, "/")
	if len(parts) > 2 {
		return fmt.Errorf("repo id %q must be \"name\" or \"namespace/name\"", id)
	}
	for i, p := range parts {
		what := "name"
		if i == 0 && len(parts) == 2 {
			what = "namespace"
		}
		if err := validateRepoPart(p); err != nil {
			return fmt.Errorf("repo id %q: %s %w", id, what, err)
		}
	}
	if name := parts[len(parts)-1]; len(name) > maxRepoNameLen {
		return fmt.Errorf("repo id %q: name is %d characters long (at most %d)", id, len(name), maxRepoNameLen)
	}
	if strings.Contains(id, "--") || strings.Contains(id, "..") {
		return fmt.Errorf("repo id %q: cannot contain \"--\" or \"..\"", id)
	}
	if strings.HasSuffix(id, ".git") {
		return fmt.Errorf("repo id %q: cannot end in \".git\"", id)
	}
	return nil
}

// validateRepoPart mirrors the word boundaries of huggingface_hub's
// REPO_ID_REGEX: a part is [\w.-]+ (ASCII) and starts and ends with \w.
func validateRepoPart(p string) error {
	if p == "" {
		return errors.New("is empty")
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; !isWord(c) && c != '-' && c != '.' {
			return fmt.Errorf("%q: only letters, digits, '-', '_' and '.' are allowed", p)
		}
	}
	if !isWord(p[0]) || !isWord(p[len(p)-1]) {
		return fmt.Errorf("%q: cannot start or end with '-' or '.'", p)
	}
	return nil
}

// maxRevisionLen bounds a revision name; git allows longer, the Hub does not
// use them, and the name becomes a file path in the cache.
const maxRevisionLen = 255

// ValidateRevision checks that a revision (branch, tag, commit, or a ref such
// as "refs/pr/1") is safe to use as a path under a cache's refs/ folder: not
// empty, no "..", no empty path element, no leading or trailing '/', no
// backslash, space or control character.
func ValidateRevision(rev string) error {
	if rev == "" {
		return errors.New("empty revision after '@'")
	}
	if len(rev) > maxRevisionLen {
		return fmt.Errorf("revision is %d bytes long (at most %d)", len(rev), maxRevisionLen)
	}
	for _, c := range []byte(rev) {
		if c <= ' ' || c == 0x7f || c == '\\' {
			return fmt.Errorf("revision %q: contains a space, backslash or control character", rev)
		}
	}
	if strings.Contains(rev, "..") || strings.HasPrefix(rev, "/") || strings.HasSuffix(rev, "/") || strings.Contains(rev, "//") {
		return fmt.Errorf("revision %q: not a valid git revision name", rev)
	}
	for _, elem := range strings.Split(rev, "/") {
		if elem == "." {
			return fmt.Errorf("revision %q: not a valid git revision name", rev)
		}
	}
	return nil
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isWord(c byte) bool { return isAlnum(c) || c == '_' }
