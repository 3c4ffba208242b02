package bert

import (
	"context"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"hfserve/internal/models"
	"hfserve/internal/models/internal/goldentest"
	"hfserve/internal/safetensors"
)

// The fixtures cover the base models and BERT's sequence classifier; these
// tests give the other heads random weights and check their outputs
// against a plain float64 computation from the base model's hidden states,
// written from transformers' head definitions.

type headWeights map[string][]float32

// randTensor returns n deterministic values in [-0.5, 0.5).
func randTensor(r *rand.Rand, n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = r.Float32() - 0.5
	}
	return out
}

func f32Bytes(x []float32) []byte {
	b := make([]byte, 4*len(x))
	for i, v := range x {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

// withHead copies the base fixture dir into a head checkpoint: every base
// tensor under prefix, plus the head's tensors, with architecture arch.
func withHead(t *testing.T, dir, arch, prefix string, labels int, tie bool, head map[string][]int, r *rand.Rand) (string, headWeights) {
	w := headWeights{}
	out := goldentest.Rewrite(t, dir, func(c map[string]any) {
		c["architectures"] = []string{arch}
		c["tie_word_embeddings"] = tie
		if labels > 0 {
			id2label := map[string]string{}
			for i := range labels {
				id2label[itoa(i)] = "L" + itoa(i)
			}
			c["id2label"] = id2label
		}
	}, func(e map[string]*goldentest.Entry) {
		base := map[string]*goldentest.Entry{}
		for name, v := range e {
			base[prefix+name] = v
			delete(e, name)
		}
		for name, v := range base {
			e[name] = v
		}
		for name, shape := range head {
			n := 1
			for _, d := range shape {
				n *= d
			}
			w[name] = randTensor(r, n)
			s := make([]int64, len(shape))
			for i, d := range shape {
				s[i] = int64(d)
			}
			e[name] = &goldentest.Entry{DType: "F32", Shape: s, Data: f32Bytes(w[name])}
		}
	})
	return out, w
}

func itoa(i int) string { return string(rune('0' + i)) }

// linear64 computes x·Wᵀ + b for rows of x in float64.
func linear64(x []float64, w, b []float32, in int) []float64 {
	rows, out := len(x)/in, len(b)
	y := make([]float64, rows*out)
	for r := 0; r < rows; r++ {
		for o := 0; o < out; o++ {
			s := float64(b[o])
			for i := 0; i < in; i++ {
				s += x[r*in+i] * float64(w[o*in+i])
			}
			y[r*out+o] = s
		}
	}
	return y
}

func apply64(x []float64, f func(float64) float64) []float64 {
	for i := range x {
		x[i] = f(x[i])
	}
	return x
}

func gelu64(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) }

func relu64(x float64) float64 { return math.Max(x, 0) }

func layerNorm64(x []float64, w, b []float32, eps float64) []float64 {
	n := len(w)
	for r := 0; r < len(x)/n; r++ {
		row := x[r*n : (r+1)*n]
		mean, vr := 0.0, 0.0
		for _, v := range row {
			mean += v
		}
		mean /= float64(n)
		for _, v := range row {
			vr += (v - mean) * (v - mean)
		}
		vr /= float64(n)
		for i := range row {
			row[i] = (row[i]-mean)/math.Sqrt(vr+eps)*float64(w[i]) + float64(b[i])
		}
	}
	return x
}

func to64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

func to32(x []float64) []float32 {
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(v)
	}
	return y
}

// firstTokens returns h[:, 0] of a [batch, seqLen, h] output.
func firstTokens(out *models.EncoderOutput) []float64 {
	var x []float64
	for i := 0; i < out.Batch; i++ {
		x = append(x, to64(out.Hidden[i*out.SeqLen*out.HiddenSize:][:out.HiddenSize])...)
	}
	return x
}

// wordEmbeddings reads a base fixture's word embeddings as float32.
func wordEmbeddings(t *testing.T, dir, name string) []float32 {
	st, err := safetensors.OpenModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tt, err := st.Tensor(name)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, tt.Info.NumElements())
	if err := tt.ToFloat32(out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestHeads(t *testing.T) {
	const tinyDir = "../../../testdata/models/tiny/"
	type want func(base *models.EncoderOutput, w headWeights, emb []float32) []float32
	h := 64
	tests := []struct {
		name, fixture, arch, prefix string
		labels                      int
		tie                         bool
		head                        map[string][]int
		want                        want
	}{
		{"bert token classification", "bert", "BertForTokenClassification", "bert.", 5, true,
			map[string][]int{"classifier.weight": {5, h}, "classifier.bias": {5}},
			func(b *models.EncoderOutput, w headWeights, _ []float32) []float32 {
				return to32(linear64(to64(b.Hidden), w["classifier.weight"], w["classifier.bias"], h))
			}},
		{"xlm-roberta token classification", "xlm-roberta", "XLMRobertaForTokenClassification", "roberta.", 2, true,
			map[string][]int{"classifier.weight": {2, h}, "classifier.bias": {2}},
			func(b *models.EncoderOutput, w headWeights, _ []float32) []float32 {
				return to32(linear64(to64(b.Hidden), w["classifier.weight"], w["classifier.bias"], h))
			}},
		{"roberta sequence classification", "roberta", "RobertaForSequenceClassification", "roberta.", 3, true,
			map[string][]int{"classifier.dense.weight": {h, h}, "classifier.dense.bias": {h}, "classifier.out_proj.weight": {3, h}, "classifier.out_proj.bias": {3}},
			func(b *models.EncoderOutput, w headWeights, _ []float32) []float32 {
				x := apply64(linear64(firstTokens(b), w["classifier.dense.weight"], w["classifier.dense.bias"], h), math.Tanh)
				return to32(linear64(x, w["classifier.out_proj.weight"], w["classifier.out_proj.bias"], h))
			}},
		{"distilbert sequence classification", "distilbert", "DistilBertForSequenceClassification", "distilbert.", 4, true,
			map[string][]int{"pre_classifier.weight": {h, h}, "pre_classifier.bias": {h}, "classifier.weight": {4, h}, "classifier.bias": {4}},
			func(b *models.EncoderOutput, w headWeights, _ []float32) []float32 {
				x := apply64(linear64(firstTokens(b), w["pre_classifier.weight"], w["pre_classifier.bias"], h), relu64)
				return to32(linear64(x, w["classifier.weight"], w["classifier.bias"], h))
			}},
		{"bert masked LM, tied", "bert", "BertForMaskedLM", "bert.", 0, true,
			map[string][]int{"cls.predictions.transform.dense.weight": {h, h}, "cls.predictions.transform.dense.bias": {h},
				"cls.predictions.transform.LayerNorm.weight": {h}, "cls.predictions.transform.LayerNorm.bias": {h}, "cls.predictions.bias": {400}},
			func(b *models.EncoderOutput, w headWeights, emb []float32) []float32 {
				x := apply64(linear64(to64(b.Hidden), w["cls.predictions.transform.dense.weight"], w["cls.predictions.transform.dense.bias"], h), gelu64)
				x = layerNorm64(x, w["cls.predictions.transform.LayerNorm.weight"], w["cls.predictions.transform.LayerNorm.bias"], 1e-12)
				return to32(linear64(x, emb, w["cls.predictions.bias"], h))
			}},
		{"roberta masked LM, untied", "roberta", "RobertaForMaskedLM", "roberta.", 0, false,
			map[string][]int{"lm_head.dense.weight": {h, h}, "lm_head.dense.bias": {h}, "lm_head.layer_norm.weight": {h},
				"lm_head.layer_norm.bias": {h}, "lm_head.decoder.weight": {450, h}, "lm_head.bias": {450}},
			func(b *models.EncoderOutput, w headWeights, _ []float32) []float32 {
				x := apply64(linear64(to64(b.Hidden), w["lm_head.dense.weight"], w["lm_head.dense.bias"], h), gelu64)
				x = layerNorm64(x, w["lm_head.layer_norm.weight"], w["lm_head.layer_norm.bias"], 1e-5)
				return to32(linear64(x, w["lm_head.decoder.weight"], w["lm_head.bias"], h))
			}},
		{"distilbert masked LM, tied", "distilbert", "DistilBertForMaskedLM", "distilbert.", 0, true,
			map[string][]int{"vocab_transform.weight": {h, h}, "vocab_transform.bias": {h}, "vocab_layer_norm.weight": {h},
				"vocab_layer_norm.bias": {h}, "vocab_projector.bias": {420}},
			func(b *models.EncoderOutput, w headWeights, emb []float32) []float32 {
				x := apply64(linear64(to64(b.Hidden), w["vocab_transform.weight"], w["vocab_transform.bias"], h), gelu64)
				x = layerNorm64(x, w["vocab_layer_norm.weight"], w["vocab_layer_norm.bias"], 1e-12)
				return to32(linear64(x, emb, w["vocab_projector.bias"], h))
			}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(i), 1))
			baseDir := tinyDir + tt.fixture
			g := goldentest.Read(t, baseDir)
			batch := &models.EncoderBatch{InputIDs: g.InputIDs, AttentionMask: g.AttentionMask, TokenTypeIDs: g.TokenTypeIDs}
			base, err := load(t, baseDir, nil).Encode(context.Background(), batch)
			if err != nil {
				t.Fatal(err)
			}
			dir, w := withHead(t, baseDir, tt.arch, tt.prefix, tt.labels, tt.tie, tt.head, r)
			m := load(t, dir, nil)
			if m.Info().Architecture != tt.arch || len(m.Info().Labels) != tt.labels {
				t.Errorf("info: %s with labels %v", m.Info().Architecture, m.Info().Labels)
			}
			out, err := m.Encode(context.Background(), batch)
			if err != nil {
				t.Fatal(err)
			}
			if msg := goldentest.Mismatch(out.Hidden, base.Hidden, 1e-5, 0); msg != "" {
				t.Errorf("hidden states differ from the base model's: %s", msg)
			}
			emb := wordEmbeddings(t, baseDir, "embeddings.word_embeddings.weight")
			want := tt.want(base, w, emb)
			if msg := goldentest.Mismatch(out.Logits, want, 1e-4, 1e-4); msg != "" {
				t.Errorf("logits: %s", msg)
			}
			if out.LogitsDim == 0 || len(out.Logits)%out.LogitsDim != 0 {
				t.Errorf("LogitsDim %d for %d logits", out.LogitsDim, len(out.Logits))
			}
			goldentest.SkipPadding(t, m, batch, out)
		})
	}
}
