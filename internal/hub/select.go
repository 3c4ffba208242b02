package hub

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// defaultSkip are the files a default pull leaves out of a repo that has
// safetensors weights: the same weights in formats hfserve cannot read
// (and their indexes), and whole exports for other runtimes. Everything
// else (configs, tokenizer files, chat templates, README, licence,
// sentence-transformers module folders) is small and comes along.
var defaultSkip = [...]string{
	"*.bin", "*.bin.index.json", "*.pt", "*.pth", "*.ckpt",
	"*.h5", "*.h5.index.json", "*.msgpack", "*.msgpack.index.json",
	"*.onnx", "*.onnx_data", "*.gguf", "*.ot", "*.tflite",
	"onnx/*", "openvino/*", "coreml/*", "original/*",
}

// Selection says which files of a repo a pull downloads, with the
// fnmatch-style patterns of huggingface_hub's allow_patterns and
// ignore_patterns: '*' matches anything (slashes included), '?' one
// character, [seq] and [!seq] a set; a pattern ending in '/' matches
// everything under that folder.
type Selection struct {
	// Include, when not empty, replaces the default choice: only files
	// matching one of these patterns are downloaded.
	Include []string
	// Exclude drops the files matching any of these patterns.
	Exclude []string
}

// Select picks the files to download. With no Include patterns it takes
// every file but those of defaultSkip, and refuses a repo without any
// *.safetensors file with a *NoSafetensorsError naming the weights it has.
// It is an error for the choice to be empty.
func (s Selection) Select(info RepoInfo, repo string) ([]RepoFile, error) {
	include, err := compileGlobs(s.Include)
	if err != nil {
		return nil, fmt.Errorf("hub: --include: %w", err)
	}
	exclude, err := compileGlobs(s.Exclude)
	if err != nil {
		return nil, fmt.Errorf("hub: --exclude: %w", err)
	}
	if len(include) == 0 {
		if !slices.ContainsFunc(info.Files, func(f RepoFile) bool { return strings.HasSuffix(f.Path, ".safetensors") }) {
			return nil, &NoSafetensorsError{Repo: repo, Commit: info.Commit, Formats: weightFiles(info)}
		}
		skip, err := compileGlobs(defaultSkip[:])
		if err != nil {
			return nil, err
		}
		exclude = append(exclude, skip...)
	}
	var picked []RepoFile
	for _, f := range info.Files {
		if len(include) > 0 && !matchAny(include, f.Path) {
			continue
		}
		if matchAny(exclude, f.Path) {
			continue
		}
		picked = append(picked, f)
	}
	if len(picked) == 0 {
		var names []string
		for _, f := range info.Files {
			names = append(names, f.Path)
		}
		return nil, fmt.Errorf("hub: %s: no file matches the patterns given (--include %q, --exclude %q; %s)",
			repo, s.Include, s.Exclude, listing("the repo has", "the repo has no files", names))
	}
	return picked, nil
}

// weightFiles lists a repo's weight files with their format.
func weightFiles(info RepoInfo) []string {
	var out []string
	for _, f := range info.Files {
		if format := weightFormat(f.Path); format != "" {
			out = append(out, fmt.Sprintf("%s (%s)", f.Path, format))
		}
	}
	return out
}

func matchAny(globs []*regexp.Regexp, name string) bool {
	return slices.ContainsFunc(globs, func(g *regexp.Regexp) bool { return g.MatchString(name) })
}

func compileGlobs(patterns []string) ([]*regexp.Regexp, error) {
	out := make([]*regexp.Regexp, 0, len(patterns))
	for _, p := range patterns {
		g, err := CompileGlob(p)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

// maxGlobLen bounds a pattern; patterns come from the command line.
const maxGlobLen = 1024

// CompileGlob turns an fnmatch pattern into a regular expression exactly
// as Python's fnmatch.translate does (case-sensitive, as on POSIX), after
// huggingface_hub's rule that a pattern ending in "/" gets a "*".
func CompileGlob(pattern string) (*regexp.Regexp, error) {
	if len(pattern) > maxGlobLen {
		return nil, fmt.Errorf("pattern of %d bytes (at most %d)", len(pattern), maxGlobLen)
	}
	if strings.HasSuffix(pattern, "/") {
		pattern += "*"
	}
	var b strings.Builder
	b.WriteString(`(?s)\A`)
	for i := 0; i < len(pattern); {
		c := pattern[i]
		i++
		switch c {
		case '*':
			for i < len(pattern) && pattern[i] == '*' {
				i++
			}
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '[':
			class, n, ok := globClass(pattern[i:])
			if !ok {
				b.WriteString(`\[`)
				continue
			}
			i += n
			b.WriteString(class)
		default:
			// One byte of the pattern as is: a multi-byte character's
			// bytes follow one another unchanged.
			b.WriteString(regexp.QuoteMeta(pattern[i-1 : i]))
		}
	}
	b.WriteString(`\z`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("bad pattern %q: %w", truncate(pattern), err)
	}
	return re, nil
}

// classRune writes r for use inside a character class: RE2 takes an
// escaped ASCII punctuation character literally and rejects other escapes,
// so only those get a backslash.
func classRune(r rune) string {
	if r < 0x80 && strings.ContainsRune(globPunct, r) {
		return "\\" + string(r)
	}
	return string(r)
}

// globPunct are the ASCII punctuation characters.
const globPunct = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

// globClass translates the set that follows a '[' in s: the regular
// expression and how many bytes of s it used (the closing ']' included).
// ok is false when no ']' closes it (the '[' is then literal). A ']' right
// after the '[' (or "[!") belongs to the set, as in Python.
func globClass(s string) (class string, n int, ok bool) {
	j := 0
	if j < len(s) && s[j] == '!' {
		j++
	}
	if j < len(s) && s[j] == ']' {
		j++
	}
	for j < len(s) && s[j] != ']' {
		j++
	}
	if j >= len(s) {
		return "", 0, false
	}
	stuff := s[:j]
	switch {
	case stuff == "":
		return `[^\x00-\x{10FFFF}]`, j + 1, true // "[]" matches nothing; RE2 has no (?!)
	case stuff == "!":
		return ".", j + 1, true
	}
	negate := stuff[0] == '!'
	if negate {
		stuff = stuff[1:]
	}
	// Ranges run lo-hi between runes; as Python does, a reversed range
	// matches nothing and is dropped.
	var body strings.Builder
	rs := []rune(stuff)
	for k := 0; k < len(rs); k++ {
		if k+2 < len(rs) && rs[k+1] == '-' {
			if rs[k] <= rs[k+2] {
				body.WriteString(classRune(rs[k]) + "-" + classRune(rs[k+2]))
			}
			k += 2
			continue
		}
		body.WriteString(classRune(rs[k]))
	}
	switch {
	case body.Len() == 0 && negate:
		return ".", j + 1, true
	case body.Len() == 0:
		return `[^\x00-\x{10FFFF}]`, j + 1, true
	}
	var b strings.Builder
	b.WriteByte('[')
	if negate {
		b.WriteByte('^')
	}
	b.WriteString(body.String())
	b.WriteByte(']')
	return b.String(), j + 1, true
}
