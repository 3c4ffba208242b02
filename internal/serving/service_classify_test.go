package serving

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"hfserve/internal/safetensors"
	"hfserve/internal/skills"
)

// Classification of the golden texts and pair gives golden_text.json's
// probabilities (softmax) and, with RawScores, its logits, best first.
func TestClassifyGolden(t *testing.T) {
	var g encoderTextGolden
	readJSON(t, filepath.Join(tiny, "bert-cls", "golden_text.json"), &g)
	svc := newTestService(t, tinyModel(t, "bert-cls"))
	ctx := context.Background()
	req := ClassifyRequest{}
	for _, text := range g.Texts {
		req.Inputs = append(req.Inputs, Input{Text: text})
	}
	for _, raw := range []bool{false, true} {
		req.RawScores = raw
		res, err := svc.Classify(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		want := g.Probs
		if raw {
			want = g.Logits
		}
		for i := range g.Texts {
			checkLabelScores(t, g, res.Scores[i], want[i])
		}
	}
	res, err := svc.Classify(ctx, ClassifyRequest{Pairs: [][2]string{{g.Pair.Text, g.Pair.TextPair}}})
	if err != nil {
		t.Fatal(err)
	}
	checkLabelScores(t, g, res.Scores[0], g.Pair.Probs)
	if res.PromptTokens != len(g.Pair.InputIDs) {
		t.Fatalf("pair has %d tokens, want %d", res.PromptTokens, len(g.Pair.InputIDs))
	}
}

// A multi-label head scores each label with a sigmoid of its logit.
func TestClassifyMultiLabel(t *testing.T) {
	var g encoderTextGolden
	readJSON(t, filepath.Join(tiny, "bert-cls", "golden_text.json"), &g)
	dir := copyFixture(t, "bert-cls")
	editJSON(t, filepath.Join(dir, "config.json"), func(c map[string]any) { c["problem_type"] = multiLabel })
	svc := newTestService(t, served{name: "multi", dir: dir})
	res, err := svc.Classify(context.Background(), ClassifyRequest{Inputs: []Input{{Text: g.Texts[0]}}})
	if err != nil {
		t.Fatal(err)
	}
	want := make([]float64, len(g.Logits[0]))
	for j, x := range g.Logits[0] {
		want[j] = 1 / (1 + math.Exp(-x))
	}
	checkLabelScores(t, g, res.Scores[0], want)
}

// checkLabelScores compares scores sorted best first with a golden row in
// label order.
func checkLabelScores(t *testing.T, g encoderTextGolden, got []LabelScore, want []float64) {
	t.Helper()
	if len(got) != len(g.Labels) {
		t.Fatalf("%d scores for %d labels", len(got), len(g.Labels))
	}
	for k, ls := range got {
		j := slices.Index(g.Labels, ls.Label)
		if j < 0 {
			t.Fatalf("unknown label %q", ls.Label)
		}
		g.checkClose(t, ls.Label, []float32{ls.Score}, []float64{want[j]})
		if k > 0 && ls.Score > got[k-1].Score {
			t.Fatalf("scores are not sorted best first: %+v", got)
		}
	}
}

// A one-label cross-encoder made of bert-cls with only classifier row k
// scores the golden pair with sigmoid(golden pair logit k); several texts
// rank as bert-cls's raw logit k orders them.
func TestRerank(t *testing.T) {
	var g encoderTextGolden
	readJSON(t, filepath.Join(tiny, "bert-cls", "golden_text.json"), &g)
	ctx := context.Background()
	texts := []string{g.Pair.TextPair, g.Texts[0], g.Texts[1], g.Texts[2]}
	full := newTestService(t, tinyModel(t, "bert-cls"))
	for k := range g.Labels {
		svc := newTestService(t, served{name: "reranker", dir: oneLabelModel(t, k)})
		res, err := svc.Rerank(ctx, RerankRequest{Query: g.Pair.Text, Texts: texts[:1]})
		if err != nil {
			t.Fatal(err)
		}
		want := 1 / (1 + math.Exp(-g.Pair.Logits[k]))
		g.checkClose(t, "rerank score", []float32{res.Ranks[0].Score}, []float64{want})

		res, err = svc.Rerank(ctx, RerankRequest{Query: g.Pair.Text, Texts: texts, RawScores: true})
		if err != nil {
			t.Fatal(err)
		}
		pairs := make([][2]string, len(texts))
		for i, text := range texts {
			pairs[i] = [2]string{g.Pair.Text, text}
		}
		cls, err := full.Classify(ctx, ClassifyRequest{Pairs: pairs, RawScores: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.PromptTokens != cls.PromptTokens || len(res.Ranks) != len(texts) {
			t.Fatalf("rerank: %d ranks, %d tokens; classify: %d tokens", len(res.Ranks), res.PromptTokens, cls.PromptTokens)
		}
		for r, rank := range res.Ranks {
			if r > 0 && rank.Score > res.Ranks[r-1].Score {
				t.Fatalf("ranks are not sorted best first: %+v", res.Ranks)
			}
			for _, ls := range cls.Scores[rank.Index] {
				if ls.Label == g.Labels[k] {
					g.checkClose(t, "raw rerank score", []float32{rank.Score}, []float64{float64(ls.Score)})
				}
			}
		}
	}
}

// oneLabelModel writes a copy of bert-cls whose classifier keeps only row
// k: a one-label sequence classification model, which serves rerank.
func oneLabelModel(t *testing.T, k int) string {
	t.Helper()
	dir := copyFixture(t, "bert-cls")
	editJSON(t, filepath.Join(dir, "config.json"), func(c map[string]any) {
		c["id2label"] = map[string]any{"0": "LABEL_0"}
		c["label2id"] = map[string]any{"LABEL_0": 0}
		delete(c, "problem_type")
	})
	path := filepath.Join(dir, "model.safetensors")
	f, err := safetensors.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	tensors := map[string]safetensors.Tensor{}
	for _, name := range f.Header().Names() {
		tt, err := f.Tensor(name)
		if err != nil {
			t.Fatal(err)
		}
		tt.Data = slices.Clone(tt.Data)
		tensors[name] = tt
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	w, b := tensors["classifier.weight"], tensors["classifier.bias"]
	hidden := int(w.Info.Shape[1])
	w.Info.Shape, w.Data = []int64{1, int64(hidden)}, w.Data[k*hidden*4:(k+1)*hidden*4]
	b.Info.Shape, b.Data = []int64{1}, b.Data[k*4:(k+1)*4]
	tensors["classifier.weight"], tensors["classifier.bias"] = w, b
	writeSafetensors(t, path, tensors)
	det, err := skills.Detect(dir)
	if err != nil || !det.HasTask(skills.TaskRerank) {
		t.Fatalf("the one-label model is not a reranker: %+v, %v", det, err)
	}
	return dir
}

// writeSafetensors writes tensors in the safetensors format: a little-endian
// header length, the JSON header, the data.
func writeSafetensors(t *testing.T, path string, tensors map[string]safetensors.Tensor) {
	t.Helper()
	names := make([]string, 0, len(tensors))
	for name := range tensors {
		names = append(names, name)
	}
	slices.Sort(names)
	header := map[string]any{}
	var data bytes.Buffer
	for _, name := range names {
		tt := tensors[name]
		begin := data.Len()
		data.Write(tt.Data)
		header[name] = map[string]any{"dtype": tt.Info.DType, "shape": tt.Info.Shape, "data_offsets": []int{begin, data.Len()}}
	}
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := binary.Write(&out, binary.LittleEndian, uint64(len(h))); err != nil {
		t.Fatal(err)
	}
	out.Write(h)
	out.Write(data.Bytes())
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
