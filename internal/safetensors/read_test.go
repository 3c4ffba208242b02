package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// prefixOnly is a ReaderAt holding just an 8-byte length prefix while
// claiming a much larger file: if the reader trusted the length it would try
// to allocate and read it.
type prefixOnly struct{ n uint64 }

func (p prefixOnly) ReadAt(b []byte, off int64) (int, error) {
	if off != 0 || len(b) != 8 {
		return 0, errors.New("read beyond the length prefix")
	}
	binary.LittleEndian.PutUint64(b, p.n)
	return 8, nil
}

func TestReadHeaderRejects(t *testing.T) {
	valid := rawFile(`{"w":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}`, []byte{1, 2})
	cases := []struct {
		name string
		r    io.ReaderAt
		size int64
		want string
	}{
		{"empty file", bytes.NewReader(nil), 0, "0 bytes, too small"},
		{"seven bytes", bytes.NewReader(make([]byte, 7)), 7, "7 bytes, too small"},
		{"header over limit", prefixOnly{MaxHeaderSize + 1}, 1 << 40, "more than the"},
		{"header max uint64", prefixOnly{math.MaxUint64}, 1 << 40, "more than the"},
		{"header past file end", prefixOnly{100}, 107, "runs past the end of the 107-byte file"},
		{"file shorter than claimed", bytes.NewReader(valid), int64(len(valid)) + 5, "cover 2 bytes"},
		{"reader shorter than size", bytes.NewReader(valid[:20]), int64(len(valid)), "reading"},
		{"data section truncated", bytes.NewReader(valid[:len(valid)-1]), int64(len(valid) - 1), `tensor "w"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, err := ReadHeader(c.r, c.size)
			if err == nil {
				t.Fatalf("ReadHeader = %+v, want an error", h)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not mention %q", err, c.want)
			}
		})
	}
}

func TestReadHeaderFile(t *testing.T) {
	dir := t.TempDir()
	b := buildFile(t, map[string]string{"format": "pt"}, 0, f32Spec("w", []int64{2}, 1, 2), spec{name: "i", dtype: I32, shape: []int64{1}, data: []byte{7, 0, 0, 0}})
	p := writeFile(t, dir, "x.safetensors", b)
	h, err := ReadHeaderFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if h.Metadata["format"] != "pt" || len(h.Tensors) != 2 || h.Tensors[0].Name != "i" || h.Tensors[1].Name != "w" {
		t.Errorf("header = %+v", h)
	}
	if want := int64(binary.LittleEndian.Uint64(b)) + 8; h.DataOffset != want {
		t.Errorf("DataOffset = %d, want %d", h.DataOffset, want)
	}

	// Errors name the file.
	bad := writeFile(t, dir, "bad.safetensors", rawFile(`{"w":{"dtype":"Q","shape":[],"data_offsets":[0,0]}}`, nil))
	if _, err := ReadHeaderFile(bad); err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), `tensor "w"`) {
		t.Errorf("bad file: error %v does not name the path and tensor", err)
	}
	if _, err := ReadHeaderFile(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: error %v is not ErrNotExist", err)
	}
	if _, err := ReadHeaderFile(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory: error %v", err)
	}
}

// TestReadHeaderFixtures checks the package's reading of every tiny fixture
// against an independent json.Unmarshal of the same header.
func TestReadHeaderFixtures(t *testing.T) {
	paths, _ := filepath.Glob("../../testdata/models/tiny/*/model.safetensors")
	if len(paths) == 0 {
		t.Fatal("no fixtures found under ../../testdata/models/tiny")
	}
	for _, p := range paths {
		t.Run(filepath.Base(filepath.Dir(p)), func(t *testing.T) {
			h, err := ReadHeaderFile(p)
			if err != nil {
				t.Fatal(err)
			}
			ref, _ := refRead(t, p)
			if len(h.Tensors) != len(ref) {
				t.Fatalf("%d tensors, reference has %d", len(h.Tensors), len(ref))
			}
			for _, ti := range h.Tensors {
				e, ok := ref[ti.Name]
				if !ok {
					t.Fatalf("tensor %q not in the reference", ti.Name)
				}
				if string(ti.DType) != e.DType || !equalInts(ti.Shape, e.Shape) || ti.Begin != e.Offsets[0] || ti.End != e.Offsets[1] {
					t.Errorf("%q: got %+v, reference %+v", ti.Name, ti, e)
				}
			}
			if h.Metadata["format"] != "pt" {
				t.Errorf("metadata = %v", h.Metadata)
			}
		})
	}
}

func equalInts(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
