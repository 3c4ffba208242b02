package safetensors

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// spec is one tensor for buildFile: its bytes are written in the order given.
type spec struct {
	name  string
	dtype DType
	shape []int64
	data  []byte
}

// f32Spec is an F32 tensor holding vals.
func f32Spec(name string, shape []int64, vals ...float32) spec {
	b := make([]byte, 4*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return spec{name: name, dtype: F32, shape: shape, data: b}
}

// buildFile writes a well-formed safetensors file the way the Rust library
// does (header padded with spaces to a multiple of 8), with the header made
// by encoding/json rather than by the code under test. pad adds that many
// extra spaces, to misalign the data section on purpose.
func buildFile(t testing.TB, meta map[string]string, pad int, specs ...spec) []byte {
	t.Helper()
	hdr := map[string]any{}
	if meta != nil {
		hdr["__metadata__"] = meta
	}
	var off int64
	for _, s := range specs {
		hdr[s.name] = map[string]any{
			"dtype":        s.dtype,
			"shape":        s.shape,
			"data_offsets": []int64{off, off + int64(len(s.data))},
		}
		off += int64(len(s.data))
	}
	js, err := json.Marshal(hdr)
	if err != nil {
		t.Fatal(err)
	}
	for len(js)%8 != 0 {
		js = append(js, ' ')
	}
	for range pad {
		js = append(js, ' ')
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(js)))
	out = append(out, js...)
	for _, s := range specs {
		out = append(out, s.data...)
	}
	return out
}

// rawFile assembles a file from a literal header and data section.
func rawFile(header string, data []byte) []byte {
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(out, header...), data...)
}

// writeFile writes b to name inside dir and returns the path.
func writeFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// refHeader is an independent reading of a safetensors file: plain
// json.Unmarshal of the header, with none of the package's code.
type refEntry struct {
	DType   string  `json:"dtype"`
	Shape   []int64 `json:"shape"`
	Offsets []int64 `json:"data_offsets"`
}

func refRead(t testing.TB, path string) (map[string]refEntry, []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(b)
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b[8:8+n], &raw); err != nil {
		t.Fatal(err)
	}
	out := map[string]refEntry{}
	for k, v := range raw {
		if k == "__metadata__" {
			continue
		}
		var e refEntry
		if err := json.Unmarshal(v, &e); err != nil {
			t.Fatal(err)
		}
		out[k] = e
	}
	return out, b[8+n:]
}
