package server

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// rerankerLabel is the bert-cls label the reranker fixture keeps.
const rerankerLabel = 1

// rerankerFixture writes a copy of the bert-cls fixture whose classifier
// keeps only row rerankerLabel: a one-label cross-encoder, which serves
// rerank and scores a pair with sigmoid(bert-cls's logit for that label).
func rerankerFixture(t testing.TB) string {
	t.Helper()
	src := "../../testdata/models/tiny/bert-cls"
	dst := t.TempDir()
	for _, name := range []string{"tokenizer.json", "tokenizer_config.json"} {
		data, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var cfg map[string]any
	data, err := os.ReadFile(filepath.Join(src, "config.json"))
	if err != nil || json.Unmarshal(data, &cfg) != nil {
		t.Fatalf("bert-cls config.json: %v", err)
	}
	cfg["id2label"] = map[string]any{"0": "LABEL_0"}
	cfg["label2id"] = map[string]any{"LABEL_0": 0}
	delete(cfg, "problem_type")
	if data, err = json.Marshal(cfg); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dst, "config.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	tensors := readSafetensors(t, filepath.Join(src, "model.safetensors"))
	w, b := tensors["classifier.weight"], tensors["classifier.bias"]
	hidden := int(w.Shape[1])
	w.Shape, w.data = []int64{1, int64(hidden)}, w.data[rerankerLabel*hidden*4:(rerankerLabel+1)*hidden*4]
	b.Shape, b.data = []int64{1}, b.data[rerankerLabel*4:(rerankerLabel+1)*4]
	tensors["classifier.weight"], tensors["classifier.bias"] = w, b
	writeSafetensors(t, filepath.Join(dst, "model.safetensors"), tensors)
	return dst
}

// stTensor is one tensor of a safetensors file.
type stTensor struct {
	DType       string  `json:"dtype"`
	Shape       []int64 `json:"shape"`
	DataOffsets [2]int  `json:"data_offsets"`
	data        []byte
}

// readSafetensors reads a safetensors file: a little-endian header length,
// the JSON header, the data.
func readSafetensors(t testing.TB, path string) map[string]stTensor {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil || len(raw) < 8 {
		t.Fatalf("%s: %v", path, err)
	}
	n := binary.LittleEndian.Uint64(raw)
	var header map[string]json.RawMessage
	if err := json.Unmarshal(raw[8:8+n], &header); err != nil {
		t.Fatal(err)
	}
	body := raw[8+n:]
	out := map[string]stTensor{}
	for name, h := range header {
		if name == "__metadata__" {
			continue
		}
		var tt stTensor
		if err := json.Unmarshal(h, &tt); err != nil {
			t.Fatal(err)
		}
		tt.data = body[tt.DataOffsets[0]:tt.DataOffsets[1]]
		out[name] = tt
	}
	return out
}

func writeSafetensors(t testing.TB, path string, tensors map[string]stTensor) {
	t.Helper()
	names := make([]string, 0, len(tensors))
	for name := range tensors {
		names = append(names, name)
	}
	sort.Strings(names)
	header := map[string]stTensor{}
	var data bytes.Buffer
	for _, name := range names {
		tt := tensors[name]
		tt.DataOffsets = [2]int{data.Len(), data.Len() + len(tt.data)}
		data.Write(tt.data)
		header[name] = tt
	}
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	_ = binary.Write(&out, binary.LittleEndian, uint64(len(h)))
	out.Write(h)
	out.Write(data.Bytes())
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
