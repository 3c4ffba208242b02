package hub

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseRefRepos(t *testing.T) {
	tests := []struct {
		in   string
		want Ref
	}{
		{"org/name", Ref{Repo: "org/name", Revision: "main"}},
		{"Qwen/Qwen2.5-0.5B-Instruct", Ref{Repo: "Qwen/Qwen2.5-0.5B-Instruct", Revision: "main"}},
		{"org/name@v1.0", Ref{Repo: "org/name", Revision: "v1.0"}},
		{"org/name@refs/pr/1", Ref{Repo: "org/name", Revision: "refs/pr/1"}},
		{"gpt2", Ref{Repo: "gpt2", Revision: "main"}},
		{"gpt2@0123456789abcdef0123456789abcdef01234567", Ref{Repo: "gpt2", Revision: "0123456789abcdef0123456789abcdef01234567"}},
		{"chat=org/name@dev", Ref{Alias: "chat", Repo: "org/name", Revision: "dev"}},
		{"a.b:c-d_9=org/x", Ref{Alias: "a.b:c-d_9", Repo: "org/x", Revision: "main"}},
		// huggingface_hub's documented valid examples.
		{"foo", Ref{Repo: "foo", Revision: "main"}},
		{"foo/bar", Ref{Repo: "foo/bar", Revision: "main"}},
		{"123", Ref{Repo: "123", Revision: "main"}},
		{"Foo-BAR_foo.bar123", Ref{Repo: "Foo-BAR_foo.bar123", Revision: "main"}},
		{"_a/_b_", Ref{Repo: "_a/_b_", Revision: "main"}},
		{"o/" + strings.Repeat("n", 96), Ref{Repo: "o/" + strings.Repeat("n", 96), Revision: "main"}},
	}
	t.Chdir(t.TempDir()) // nothing on disk shadows the repo ids
	for _, tt := range tests {
		got, err := ParseRef(tt.in)
		if err != nil {
			t.Errorf("ParseRef(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseRef(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestParseRefPaths(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.Mkdir("gpt2", 0o755); err != nil {
		t.Fatal(err)
	}
	home, err := os.UserHomeDir()
	if err != nil {
		t.Fatal(err)
	}
	cwd, err := os.Getwd() // dir may itself be reached through a symlink
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in   string
		want Ref
	}{
		{"/models/llama", Ref{Path: "/models/llama"}},
		{"/models/llama/", Ref{Path: "/models/llama"}},
		{"/models/a=b", Ref{Path: "/models/a=b"}},
		{"m=/models/a=b", Ref{Alias: "m", Path: "/models/a=b"}},
		{"./x", Ref{Path: filepath.Join(cwd, "x")}},
		{"./a=b", Ref{Path: filepath.Join(cwd, "a=b")}},
		{"../y", Ref{Path: filepath.Join(filepath.Dir(cwd), "y")}},
		{".", Ref{Path: cwd}},
		{"~/models/x", Ref{Path: filepath.Join(home, "models/x")}},
		{"~", Ref{Path: home}},
		{"gpt2", Ref{Path: filepath.Join(cwd, "gpt2")}}, // exists on disk, so a folder
		{"g=gpt2", Ref{Alias: "g", Path: filepath.Join(cwd, "gpt2")}},
	}
	for _, tt := range tests {
		got, err := ParseRef(tt.in)
		if err != nil {
			t.Errorf("ParseRef(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseRef(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestParseRefErrors(t *testing.T) {
	t.Chdir(t.TempDir())
	tests := []struct{ in, wantErr string }{
		{"", "empty"},
		{"  ", "empty"},
		{"a/b/c", "namespace/name"},
		// huggingface_hub's documented invalid examples.
		{"datasets/foo/bar", "namespace/name"},
		{".repo_id", "start or end"},
		{"foo--bar", `"--"`},
		{"other..repo..id", `".."`},
		{"foo.git", ".git"},
		{"-org/name", "start or end"},
		{"org/name-", "start or end"},
		{"org/na me", "only letters"},
		{"café/x", "only letters"},
		{"org/" + strings.Repeat("n", 97), "at most 96"},
		{"org/name@", "empty revision"},
		{"org/name@../../etc", "revision"},
		{"org/name@a b", "revision"},
		{"org/name@/abs", "revision"},
		{"org/name@a//b", "revision"},
		{"org/name@./x", "revision"},
		{"a=", "nothing after"},
		{"=org/name", "empty alias"},
		{"bad alias=org/x", "alias"},
		{"a!=org/x", "alias"},
		{"org/name@" + strings.Repeat("r", 300), "at most"},
		{strings.Repeat("x", maxRefLen+1), "bytes long"},
	}
	for _, tt := range tests {
		got, err := ParseRef(tt.in)
		if err == nil {
			t.Errorf("ParseRef(%q) = %+v, want an error", tt.in, got)
			continue
		}
		if !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("ParseRef(%q) error %q does not mention %q", tt.in, err, tt.wantErr)
		}
	}
}

func TestRefStringAndName(t *testing.T) {
	tests := []struct {
		ref       Ref
		str, name string
	}{
		{Ref{Repo: "org/name", Revision: "main"}, "org/name", "org/name"},
		{Ref{Repo: "org/name", Revision: "v2"}, "org/name@v2", "org/name"},
		{Ref{Alias: "chat", Repo: "org/name", Revision: "v2"}, "chat=org/name@v2", "chat"},
		{Ref{Path: "/models/tiny-llama"}, "/models/tiny-llama", "tiny-llama"},
		{Ref{Alias: "t", Path: "/models/a=b"}, "t=/models/a=b", "t"},
	}
	t.Chdir(t.TempDir())
	for _, tt := range tests {
		if got := tt.ref.String(); got != tt.str {
			t.Errorf("%+v.String() = %q, want %q", tt.ref, got, tt.str)
		}
		if got := tt.ref.Name(); got != tt.name {
			t.Errorf("%+v.Name() = %q, want %q", tt.ref, got, tt.name)
		}
		back, err := ParseRef(tt.str)
		if err != nil || back != tt.ref {
			t.Errorf("ParseRef(%q) = %+v, %v; want %+v", tt.str, back, err, tt.ref)
		}
	}
}

func FuzzParseRef(f *testing.F) {
	for _, s := range []string{
		"org/name", "org/name@v1", "gpt2", "a=org/x@refs/pr/1", "/abs/path", "./rel", "~/x", "a=/x=y",
		"", "=", "@", "a/b/c", "org--x/y", "x@..", "é/x", "a=b=c", "org/name@a@b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ref, err := ParseRef(s)
		if err != nil {
			return
		}
		if (ref.Path == "") == (ref.Repo == "") {
			t.Fatalf("ParseRef(%q) = %+v: want exactly one of Path and Repo", s, ref)
		}
		if ref.Repo != "" {
			if err := ValidateRepoID(ref.Repo); err != nil {
				t.Fatalf("ParseRef(%q) accepted an invalid repo: %v", s, err)
			}
			if err := ValidateRevision(ref.Revision); err != nil {
				t.Fatalf("ParseRef(%q) accepted an invalid revision: %v", s, err)
			}
		}
		if ref.Path != "" && !filepath.IsAbs(ref.Path) {
			t.Fatalf("ParseRef(%q) path %q is not absolute", s, ref.Path)
		}
		if ref.Alias != "" && validateAlias(ref.Alias) != nil {
			t.Fatalf("ParseRef(%q) accepted alias %q", s, ref.Alias)
		}
		back, err := ParseRef(ref.String())
		if err != nil || back != ref {
			t.Fatalf("round trip of %q: %+v → %q → %+v, %v", s, ref, ref.String(), back, err)
		}
	})
}
