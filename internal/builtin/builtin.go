// Package builtin carries hfserve's built-in default model inside the binary,
// so `hfserve serve` works on a fresh machine with no download and no flags.
//
// The model is karpathy's stories260K (MIT licence, llama2.c "tinyllamas",
// trained on TinyStories), a 260K-parameter LLaMA-architecture model converted
// to Hugging Face layout. It is tiny (about 1 MB) but real: greedy decoding
// from "Once upon a time" tells a coherent children's story.
//
// The weights need a file on disk to be memory-mapped like any other model, so
// Materialize writes the embedded folder once into the data directory and
// reuses it afterwards.
package builtin

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Name is the model id under which the built-in model is served.
const Name = "stories260k"

// ChatTemplate is the chat template the built-in model is served with.
// stories260K is not a chat model (its folder has no template): it
// continues text. So that /v1/chat/completions and `hfserve run` chat work
// on a fresh machine, a chat is rendered as the beginning-of-sequence token
// followed by the messages' texts, one per line, and the model continues the
// story from there.
const ChatTemplate = "{{ bos_token }}{% for message in messages %}{{ message['content'] }}{% if not loop.last %}\n{% endif %}{% endfor %}"

// folder is the embedded folder, named after the upstream model.
const folder = "stories260K"

//go:embed stories260K
var files embed.FS

// Materialize makes sure the built-in model folder exists under dataDir and
// returns its path. The folder name carries a hash of the embedded content, so
// a newer binary with a different model never reuses stale files, and a
// half-written folder (a crash mid-write) is never mistaken for a complete
// one: files are written to a temporary folder that is renamed into place
// only when complete.
func Materialize(dataDir string) (string, error) {
	digest, err := contentDigest()
	if err != nil {
		return "", err
	}
	final := filepath.Join(dataDir, "builtin", Name+"-"+digest[:16])
	if _, err := os.Stat(filepath.Join(final, "config.json")); err == nil {
		return final, nil
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return "", fmt.Errorf("builtin: creating %s: %w", filepath.Dir(final), err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(final), ".tmp-"+Name+"-")
	if err != nil {
		return "", fmt.Errorf("builtin: %w", err)
	}
	defer os.RemoveAll(tmp) // no-op after a successful rename
	if err := writeAll(tmp); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, final); err != nil {
		// Another process may have won the race; its folder is as good as ours.
		if _, statErr := os.Stat(filepath.Join(final, "config.json")); statErr == nil {
			return final, nil
		}
		return "", fmt.Errorf("builtin: installing %s: %w", final, err)
	}
	return final, nil
}

// writeAll writes every embedded file into dir, gunzipping *.gz files.
func writeAll(dir string) error {
	entries, err := fs.ReadDir(files, folder)
	if err != nil {
		return fmt.Errorf("builtin: %w", err)
	}
	for _, e := range entries {
		data, err := fs.ReadFile(files, folder+"/"+e.Name())
		if err != nil {
			return fmt.Errorf("builtin: %w", err)
		}
		name := e.Name()
		if strings.HasSuffix(name, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				return fmt.Errorf("builtin: %s: %w", name, err)
			}
			if data, err = io.ReadAll(zr); err != nil {
				return fmt.Errorf("builtin: %s: %w", name, err)
			}
			name = strings.TrimSuffix(name, ".gz")
		}
		if err := writeFileSync(filepath.Join(dir, name), data); err != nil {
			return err
		}
	}
	return nil
}

func writeFileSync(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("builtin: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("builtin: writing %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("builtin: syncing %s: %w", path, err)
	}
	return f.Close()
}

// contentDigest hashes the embedded files (names and bytes, in a fixed order).
func contentDigest() (string, error) {
	entries, err := fs.ReadDir(files, folder)
	if err != nil {
		return "", fmt.Errorf("builtin: %w", err)
	}
	h := sha256.New()
	for _, e := range entries { // ReadDir sorts by name
		data, err := fs.ReadFile(files, folder+"/"+e.Name())
		if err != nil {
			return "", fmt.Errorf("builtin: %w", err)
		}
		fmt.Fprintf(h, "%s\x00%d\x00", e.Name(), len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
