package hub

import (
	"path/filepath"
	"strings"
)

// CacheDir returns the Hugging Face hub cache folder with exactly the
// precedence of huggingface_hub's constants.py:
//
//  1. $HF_HUB_CACHE
//  2. $HUGGINGFACE_HUB_CACHE (the legacy name)
//  3. $HF_HOME/hub
//  4. $XDG_CACHE_HOME/huggingface/hub
//  5. ~/.cache/huggingface/hub
//
// As in Python, a variable that is set counts even when empty, a leading "~"
// becomes homeDir ("~user" is left alone), and $VAR / ${VAR} references are
// expanded from lookupEnv, unknown ones left as written. lookupEnv is
// os.LookupEnv in production; tests pass a map.
func CacheDir(lookupEnv func(string) (string, bool), homeDir string) string {
	getenv := func(key, fallback string) string {
		if v, ok := lookupEnv(key); ok {
			return v
		}
		return fallback
	}
	expand := func(p string) string { return expandVars(expandUser(p, homeDir), lookupEnv) }

	defaultHome := filepath.Join(homeDir, ".cache")
	hfHome := expand(getenv("HF_HOME", pyJoin(getenv("XDG_CACHE_HOME", defaultHome), "huggingface")))
	legacy := getenv("HUGGINGFACE_HUB_CACHE", pyJoin(hfHome, "hub"))
	return expand(getenv("HF_HUB_CACHE", legacy))
}

// pyJoin is os.path.join for two POSIX parts: unlike filepath.Join it does
// not clean, so an empty first part stays a relative path as in Python.
func pyJoin(a, b string) string {
	switch {
	case strings.HasPrefix(b, "/"), a == "":
		return b
	case strings.HasSuffix(a, "/"):
		return a + b
	default:
		return a + "/" + b
	}
}

// expandUser is posixpath.expanduser for "~" and "~/...": other users' homes
// ("~bob") are not looked up and stay as written.
func expandUser(p, homeDir string) string {
	if p != "~" && !strings.HasPrefix(p, "~/") {
		return p
	}
	home := strings.TrimRight(homeDir, "/")
	if out := home + p[1:]; out != "" {
		return out
	}
	return "/"
}

// expandVars is posixpath.expandvars: $name (name = ASCII word characters)
// and ${name} (anything but '}') are replaced by the variable's value; unset
// variables and a lone '$' are left as written.
func expandVars(p string, lookupEnv func(string) (string, bool)) string {
	if !strings.Contains(p, "$") {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '$' {
			if name, n, ok := varAt(p[i+1:]); ok {
				if v, set := lookupEnv(name); set {
					b.WriteString(v)
				} else {
					b.WriteString(p[i : i+1+n])
				}
				i += n
				continue
			}
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

// varAt matches the variable reference that follows a '$' at the start of s:
// its name, and how many bytes of s the reference spans.
func varAt(s string) (name string, n int, ok bool) {
	if strings.HasPrefix(s, "{") {
		j := strings.IndexByte(s, '}')
		if j < 0 {
			return "", 0, false
		}
		return s[1:j], j + 1, true
	}
	for n < len(s) && isWord(s[n]) {
		n++
	}
	return s[:n], n, n > 0
}
