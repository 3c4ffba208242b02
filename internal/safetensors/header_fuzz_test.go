package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"reflect"
	"sort"
	"testing"
)

// fuzzSeeds are headers that reach every branch of the parser: valid ones
// shaped like real checkpoints, and one of each kind of hostile input. They
// stay small on purpose: the fuzzer minimises every new finding byte by
// byte, and a seed of a few kilobytes (a whole fixture header) stalls it for
// the full minimisation timeout.
func fuzzSeeds(f *testing.F) {
	f.Add([]byte(`{"__metadata__":{"format":"pt"},"model.embed_tokens.weight":{"dtype":"BF16","shape":[4,2],"data_offsets":[0,16]},"model.norm.weight":{"dtype":"BF16","shape":[2],"data_offsets":[16,20]}}`), int64(20))
	f.Add([]byte(`{"__metadata__":{"format":"pt"},"embeddings.LayerNorm.bias":{"dtype":"F16","shape":[4],"data_offsets":[0,8]},"pooler.dense.weight":{"dtype":"F16","shape":[2,2],"data_offsets":[8,16]}}  `), int64(16))
	const w = `"dtype":"F32","shape":[2]`
	for _, s := range []struct {
		raw  string
		size int64
	}{
		{`{}`, 0},
		{`{"__metadata__":{"format":"pt"}}    `, 0},
		{`{"__metadata__":null,"s":{"dtype":"F64","shape":[],"data_offsets":[0,8]}}`, 8},
		{`{"a":{` + w + `,"data_offsets":[0,8]},"b":{` + w + `,"data_offsets":[8,16]}}`, 16},
		{`{"a":{` + w + `,"data_offsets":[0,8]},"b":{` + w + `,"data_offsets":[4,12]}}`, 12},
		{`{"a":{` + w + `,"data_offsets":[0,8]},"b":{` + w + `,"data_offsets":[12,20]}}`, 20},
		{`{"a":{` + w + `,"data_offsets":[0,8]},"a":{` + w + `,"data_offsets":[8,16]}}`, 16},
		{`{"e":{"dtype":"BF16","shape":[0,9223372036854775807],"data_offsets":[0,0]}}`, 0},
		{`{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}`, 8},
		{`{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}}`, 8},
		{`{"w":{"dtype":"X","shape":[2],"data_offsets":[0,8]}}`, 8},
		{`{"w":{` + w + `,"data_offsets":[8,0],"extra":[[{"k":[null]}]]}}`, 8},
		{`{"__metadata__":{"k":1}}`, 0},
		{`{"w":5}`, 0},
		{`[{}]`, 0},
		{"{\"\xff\":{}}", 0},
	} {
		f.Add([]byte(s.raw), s.size)
	}
}

// FuzzParseHeader checks that ParseHeader never panics, and that whatever it
// accepts keeps every promise of the package contract and survives a
// round trip through an independent encoder.
func FuzzParseHeader(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, raw []byte, dataSize int64) {
		h, err := ParseHeader(raw, dataSize)
		if err != nil {
			return
		}
		checkHeaderContract(t, h, raw, dataSize)

		// Re-encode with encoding/json and parse again: same header.
		doc := map[string]any{}
		if h.Metadata != nil {
			doc[metadataKey] = h.Metadata
		}
		for _, ti := range h.Tensors {
			doc[ti.Name] = map[string]any{"dtype": ti.DType, "shape": ti.Shape, "data_offsets": []int64{ti.Begin, ti.End}}
		}
		js, err := json.Marshal(doc)
		if err != nil {
			t.Fatalf("re-encoding: %v", err)
		}
		h2, err := ParseHeader(js, dataSize)
		if err != nil {
			t.Fatalf("accepted %q but rejects its re-encoding %q: %v", raw, js, err)
		}
		if !reflect.DeepEqual(h.Tensors, h2.Tensors) || !reflect.DeepEqual(h.Metadata, h2.Metadata) {
			t.Fatalf("round trip changed the header:\n%+v\n%+v", h, h2)
		}
	})
}

// FuzzReadHeader feeds whole files, length prefix included, through both
// the ReaderAt path and the in-memory path Open uses; they must agree.
func FuzzReadHeader(f *testing.F) {
	f.Add(rawFile(`{}`, nil))
	f.Add(rawFile(`{"w":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}`, []byte{1, 2}))
	f.Add(binary.LittleEndian.AppendUint64(nil, 1<<63))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		h1, err1 := ReadHeader(bytes.NewReader(b), int64(len(b)))
		h2, err2 := parseFileBytes(b)
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("ReadHeader error %v, parseFileBytes error %v", err1, err2)
		}
		if err1 != nil {
			return
		}
		if !reflect.DeepEqual(h1, h2) {
			t.Fatalf("the two paths disagree:\n%+v\n%+v", h1, h2)
		}
		n := binary.LittleEndian.Uint64(b)
		checkHeaderContract(t, h1, b[8:8+n], int64(len(b))-8-int64(n))
	})
}

func checkHeaderContract(t *testing.T, h *Header, raw []byte, dataSize int64) {
	t.Helper()
	if h.DataOffset != 8+int64(len(raw)) {
		t.Fatalf("DataOffset %d for a %d-byte header", h.DataOffset, len(raw))
	}
	if !sort.SliceIsSorted(h.Tensors, func(i, j int) bool { return h.Tensors[i].Name < h.Tensors[j].Name }) {
		t.Fatal("tensors not sorted by name")
	}
	var total int64
	for i, ti := range h.Tensors {
		if i > 0 && h.Tensors[i-1].Name == ti.Name {
			t.Fatalf("duplicate name %q accepted", ti.Name)
		}
		if ti.Name == metadataKey {
			t.Fatal("__metadata__ parsed as a tensor")
		}
		if ti.DType.Size() == 0 {
			t.Fatalf("%q: unknown dtype %q accepted", ti.Name, ti.DType)
		}
		if ti.Begin < 0 || ti.Begin > ti.End || ti.End > dataSize {
			t.Fatalf("%q: offsets [%d, %d] outside [0, %d]", ti.Name, ti.Begin, ti.End, dataSize)
		}
		for _, d := range ti.Shape {
			if d < 0 {
				t.Fatalf("%q: negative dim accepted", ti.Name)
			}
		}
		if ti.NumElements()*int64(ti.DType.Size()) != ti.End-ti.Begin {
			t.Fatalf("%q: %v of %s in %d bytes", ti.Name, ti.Shape, ti.DType, ti.End-ti.Begin)
		}
		if got, ok := h.Lookup(ti.Name); !ok || !reflect.DeepEqual(got, ti) {
			t.Fatalf("Lookup(%q) = %+v, %v", ti.Name, got, ok)
		}
		total += ti.End - ti.Begin
	}
	// Exact tiling: no overlaps and no holes means the sizes add up to the
	// data section (given the offset checks above).
	if total != dataSize {
		t.Fatalf("tensors hold %d bytes of a %d-byte data section", total, dataSize)
	}
}
