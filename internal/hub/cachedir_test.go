package hub

import "testing"

// The expected values of these tables were produced by running the
// "default cache" block of huggingface_hub's constants.py (and CPython's
// posixpath.expandvars / expanduser) with HOME=/home/u and each environment.
func TestCacheDir(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, "/home/u/.cache/huggingface/hub"},
		{map[string]string{"XDG_CACHE_HOME": "/xdg"}, "/xdg/huggingface/hub"},
		{map[string]string{"XDG_CACHE_HOME": "/xdg", "HF_HOME": "/hf"}, "/hf/hub"},
		{map[string]string{"HF_HOME": "/hf", "HUGGINGFACE_HUB_CACHE": "/legacy"}, "/legacy"},
		{map[string]string{"HF_HOME": "/hf", "HUGGINGFACE_HUB_CACHE": "/legacy", "HF_HUB_CACHE": "/new"}, "/new"},
		{map[string]string{"HF_HOME": "~/hf"}, "/home/u/hf/hub"},
		{map[string]string{"XDG_CACHE_HOME": "~/xdg"}, "/home/u/xdg/huggingface/hub"},
		{map[string]string{"HUGGINGFACE_HUB_CACHE": "~/legacy"}, "/home/u/legacy"},
		{map[string]string{"HF_HUB_CACHE": "~/c"}, "/home/u/c"},
		{map[string]string{"HF_HUB_CACHE": "$DATA/c", "DATA": "/data"}, "/data/c"},
		{map[string]string{"HF_HOME": "${DATA}/hf", "DATA": "/data"}, "/data/hf/hub"},
		{map[string]string{"HF_HUB_CACHE": "$NOPE/c"}, "$NOPE/c"},
		{map[string]string{"HF_HUB_CACHE": ""}, ""},
		{map[string]string{"HF_HOME": ""}, "hub"},
		{map[string]string{"XDG_CACHE_HOME": ""}, "huggingface/hub"},
		{map[string]string{"HF_HOME": "~bob/hf"}, "~bob/hf/hub"},
		{map[string]string{"HF_HOME": "/hf/"}, "/hf/hub"},
		{map[string]string{"XDG_CACHE_HOME": "/xdg/"}, "/xdg/huggingface/hub"},
	}
	for _, tt := range tests {
		lookup := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
		if got := CacheDir(lookup, "/home/u"); got != tt.want {
			t.Errorf("CacheDir(%v) = %q, want %q", tt.env, got, tt.want)
		}
	}
}

// Expected values from CPython's posixpath with HOME=/home/u, A=aval, B=bval
// and EMPTY set to "".
func TestExpandVarsAndUser(t *testing.T) {
	env := map[string]string{"A": "aval", "B": "bval", "EMPTY": ""}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	vars := []struct{ in, want string }{
		{"$A/b", "aval/b"}, {"${A}b", "avalb"}, {"$", "$"}, {"$$", "$$"}, {"${", "${"},
		{"${}", "${}"}, {"a$-b", "a$-b"}, {"$A$B", "avalbval"}, {"$UNSET/x", "$UNSET/x"},
		{"${UNSET}/x", "${UNSET}/x"}, {"$A_b", "$A_b"}, {"${A_b}", "${A_b}"}, {"$1", "$1"},
		{"${A", "${A"}, {"x$", "x$"}, {"$EMPTY/x", "/x"},
	}
	for _, tt := range vars {
		if got := expandVars(tt.in, lookup); got != tt.want {
			t.Errorf("expandVars(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	users := []struct{ in, want string }{
		{"~/x", "/home/u/x"}, {"~", "/home/u"}, {"~bob/x", "~bob/x"}, {"x/~/y", "x/~/y"}, {"$A", "$A"},
	}
	for _, tt := range users {
		if got := expandUser(tt.in, "/home/u"); got != tt.want {
			t.Errorf("expandUser(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
