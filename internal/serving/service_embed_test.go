package serving

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"hfserve/internal/config"
	"hfserve/internal/skills"
)

// Every tiny encoder's embeddings match golden_text.json's pooled hidden
// states (the reference forward pass), with the texts in one padded batch:
// mean pooling by default, cls on request.
func TestEmbedEncoderGoldens(t *testing.T) {
	for _, name := range []string{"bert", "roberta", "distilbert", "xlm-roberta"} {
		t.Run(name, func(t *testing.T) {
			var g encoderTextGolden
			readJSON(t, filepath.Join(tiny, name, "golden_text.json"), &g)
			svc := newTestService(t, tinyModel(t, name))
			req := EmbedRequest{}
			wantTokens := 0
			for i, text := range g.Texts {
				req.Inputs = append(req.Inputs, Input{Text: text})
				wantTokens += len(g.InputIDs[i])
			}
			for _, tc := range []struct {
				pooling string
				want    [][]float64
			}{{"", g.MeanPooled}, {skills.PoolingCLS, g.CLS}} {
				req.Pooling = tc.pooling
				res, err := svc.Embed(context.Background(), req)
				if err != nil {
					t.Fatal(err)
				}
				if res.Model != name || res.PromptTokens != wantTokens || len(res.Vectors) != len(g.Texts) {
					t.Fatalf("model %q, %d tokens (want %d), %d vectors", res.Model, res.PromptTokens, wantTokens, len(res.Vectors))
				}
				for i, v := range res.Vectors {
					g.checkClose(t, name+" "+tc.pooling, v, tc.want[i])
				}
			}
		})
	}
}

// Normalisation, dimensions and pooling overrides act on the golden
// vectors as sentence-transformers and OpenAI define them.
func TestEmbedNormalizeDimensionsPooling(t *testing.T) {
	var g encoderTextGolden
	readJSON(t, filepath.Join(tiny, "bert", "golden_text.json"), &g)
	svc := newTestService(t, tinyModel(t, "bert"))
	yes := true
	inputs := []Input{{Text: g.Texts[0]}, {Text: g.Texts[2]}}
	want := [][]float64{g.MeanPooled[0], g.MeanPooled[2]}
	for _, tc := range []struct {
		name string
		req  EmbedRequest
		want func(v []float64) []float64
	}{
		{"normalize", EmbedRequest{Normalize: &yes}, unit},
		{"dimensions", EmbedRequest{Dimensions: 16}, func(v []float64) []float64 { return v[:16] }},
		{"dimensions renormalised", EmbedRequest{Dimensions: 16, Normalize: &yes}, func(v []float64) []float64 { return unit(v[:16]) }},
	} {
		tc.req.Model, tc.req.Inputs = "bert", inputs
		res, err := svc.Embed(context.Background(), tc.req)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range res.Vectors {
			g.checkClose(t, tc.name, v, tc.want(want[i]))
		}
	}
}

// unit scales v to length 1.
func unit(v []float64) []float64 {
	var ss float64
	for _, x := range v {
		ss += x * x
	}
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = x / math.Sqrt(ss)
	}
	return out
}

// Truncation cuts a long input to the context, keeping the special tokens,
// from the end or the start; the result is the embedding of the cut ids.
func TestEmbedTruncate(t *testing.T) {
	svc := newTestService(t, tinyModel(t, "bert"))
	ctx := context.Background()
	long := strings.Repeat("the quick brown fox jumps over the lazy dog ", 30)
	_, toks, err := svc.Tokenize(ctx, TokenizeRequest{Texts: []string{long}, AddSpecialTokens: true})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int32, len(toks[0]))
	for i, tok := range toks[0] {
		ids[i] = tok.ID
	}
	const max = 128 // bert's max_position_embeddings
	if len(ids) <= max {
		t.Fatalf("the long text has only %d tokens", len(ids))
	}
	cls, sep := ids[0], ids[len(ids)-1]
	right := append(append([]int32{cls}, ids[1:max-1]...), sep)
	left := append(append([]int32{cls}, ids[len(ids)-max+1:len(ids)-1]...), sep)
	for _, tc := range []struct {
		name string
		left bool
		ids  []int32
	}{{"right", false, right}, {"left", true, left}} {
		res, err := svc.Embed(ctx, EmbedRequest{Inputs: []Input{{Text: long}, {IDs: tc.ids}}, Truncate: true, TruncateLeft: tc.left})
		if err != nil {
			t.Fatal(err)
		}
		if res.PromptTokens != 2*max {
			t.Fatalf("%s: %d tokens, want %d", tc.name, res.PromptTokens, 2*max)
		}
		tolerance{ATol: 1e-6, RTol: 1e-5}.checkClose(t, tc.name, res.Vectors[0], float64s(res.Vectors[1]))
	}
}

// A decoder serving embeddings pools its final hidden states: last-token
// pooling by default, unit vectors when asked, and an input's vector does
// not depend on the batch it runs in.
func TestEmbedDecoder(t *testing.T) {
	m := tinyModel(t, "llama")
	m.name, m.spec = "llama-embed", config.ModelSpec{Task: string(skills.TaskEmbeddings)}
	svc := newTestService(t, m)
	ctx := context.Background()
	texts := []string{"The city has a long history.", "Where are you?", "A much longer sentence, with more tokens in it than the others."}
	yes := true
	for _, pooling := range []string{"", skills.PoolingMean, skills.PoolingMax, skills.PoolingCLS} {
		all := EmbedRequest{Pooling: pooling, Normalize: &yes}
		for _, text := range texts {
			all.Inputs = append(all.Inputs, Input{Text: text})
		}
		batch, err := svc.Embed(ctx, all)
		if err != nil {
			t.Fatal(err)
		}
		for i, text := range texts {
			alone, err := svc.Embed(ctx, EmbedRequest{Pooling: pooling, Normalize: &yes, Inputs: []Input{{Text: text}}})
			if err != nil {
				t.Fatal(err)
			}
			tolerance{ATol: 1e-5, RTol: 1e-4}.checkClose(t, pooling, batch.Vectors[i], float64s(alone.Vectors[0]))
			if n := norm(batch.Vectors[i]); math.Abs(n-1) > 1e-5 || len(batch.Vectors[i]) != 64 {
				t.Fatalf("%s: vector %d has length %g and %d dimensions", pooling, i, n, len(batch.Vectors[i]))
			}
		}
	}
	// The first token is <s> in every input: cls pooling gives one vector.
	res, err := svc.Embed(ctx, EmbedRequest{Pooling: skills.PoolingCLS, Inputs: []Input{{Text: texts[0]}, {Text: texts[1]}}})
	if err != nil {
		t.Fatal(err)
	}
	tolerance{ATol: 1e-6}.checkClose(t, "cls", res.Vectors[0], float64s(res.Vectors[1]))
}

func float64s(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func norm(v []float32) float64 {
	var ss float64
	for _, x := range v {
		ss += float64(x) * float64(x)
	}
	return math.Sqrt(ss)
}

func TestPool(t *testing.T) {
	// Three tokens of width 2.
	hidden := []float32{1, -2, 3, 4, -5, 0}
	for _, tc := range []struct {
		mode string
		want []float32
	}{
		{skills.PoolingCLS, []float32{1, -2}},
		{skills.PoolingLastToken, []float32{-5, 0}},
		{skills.PoolingMean, []float32{-1.0 / 3, 2.0 / 3}},
		{skills.PoolingMax, []float32{3, 4}},
	} {
		got := pool(tc.mode, hidden, 3, 2)
		tolerance{ATol: 1e-7}.checkClose(t, tc.mode, got, float64s(tc.want))
	}
	zero := []float32{0, 0}
	normalize(zero)
	if zero[0] != 0 || zero[1] != 0 {
		t.Fatalf("normalize(0) = %v", zero)
	}
}

func TestBatchPlan(t *testing.T) {
	var items []tokens
	for _, n := range []int{5, 1, 300, 3, 2000, 7, 1} {
		items = append(items, tokens{ids: make([]int32, n)})
	}
	for range 40 {
		items = append(items, tokens{ids: make([]int32, 2)})
	}
	seen := map[int]bool{}
	for _, batch := range batchPlan(items) {
		longest := 0
		for k, i := range batch {
			if seen[i] {
				t.Fatalf("item %d planned twice", i)
			}
			seen[i] = true
			if k > 0 && len(items[i].ids) < len(items[batch[k-1]].ids) {
				t.Fatalf("batch %v is not sorted by length", batch)
			}
			longest = max(longest, len(items[i].ids))
		}
		if len(batch) > maxBatchInputs || len(batch) > 1 && len(batch)*longest > maxBatchTokens {
			t.Fatalf("batch of %d inputs up to %d tokens is over the bounds", len(batch), longest)
		}
	}
	if len(seen) != len(items) {
		t.Fatalf("planned %d of %d items", len(seen), len(items))
	}
}
