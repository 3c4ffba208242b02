package llama

import (
	"context"
	"errors"
	"strings"
	"testing"

	"hfserve/internal/models"
	"hfserve/internal/models/internal/goldentest"
)

const mistralDir = "../../../testdata/models/tiny/mistral"

// oneLayer rewrites the mistral fixture into a one-layer model with the
// given sliding_window (nil: none).
func oneLayer(t *testing.T, window any) *Model {
	dir := goldentest.Rewrite(t, mistralDir, func(c map[string]any) {
		c["num_hidden_layers"] = 1
		c["sliding_window"] = window
	}, func(e map[string]*goldentest.Entry) {
		for name := range e {
			if strings.HasPrefix(name, "model.layers.1.") {
				delete(e, name)
			}
		}
	})
	return load(t, dir, nil)
}

func run(t *testing.T, m *Model, c *models.KVCache, ids []int32, out models.Output) []float32 {
	t.Helper()
	if c == nil {
		var err error
		if c, err = m.NewCache(64); err != nil {
			t.Fatal(err)
		}
	}
	logits, err := m.Forward(context.Background(), &models.Batch{Seqs: []models.SeqStep{{Tokens: ids, Cache: c, Output: out}}})
	if err != nil {
		t.Fatal(err)
	}
	return logits
}

// TestSlidingWindow checks Mistral's window against an independent fact:
// in a one-layer model whose queries see only the last w positions, and
// whose rotary embeddings make scores depend on relative positions only,
// the output at position p equals the last output of the w tokens ending at
// p run as a fresh sequence. It checks the prefill path and the cached
// decode path, and that the window really changes the result.
func TestSlidingWindow(t *testing.T) {
	const w = 3
	m := oneLayer(t, w)
	full := oneLayer(t, nil)
	g := goldentest.Read(t, mistralDir)
	ids := g.InputIDs[0]
	v := m.Info().VocabSize
	all := run(t, m, nil, ids, models.OutputAll)

	c, _ := m.NewCache(64)
	run(t, m, c, ids[:w], models.OutputNone)
	for p := w - 1; p < len(ids); p++ {
		want := run(t, m, nil, ids[p-w+1:p+1], models.OutputLast)
		if msg := goldentest.Mismatch(all[p*v:(p+1)*v], want, 1e-4, 1e-4); msg != "" {
			t.Errorf("prefill, position %d: %s", p, msg)
		}
		if p >= w {
			got := run(t, m, c, ids[p:p+1], models.OutputLast)
			if msg := goldentest.Mismatch(got, want, 1e-4, 1e-4); msg != "" {
				t.Errorf("cached decode, position %d: %s", p, msg)
			}
		}
	}
	last := len(ids) - 1
	unwindowed := run(t, full, nil, ids, models.OutputLast)
	if goldentest.Mismatch(all[last*v:], unwindowed, 1e-3, 0) == "" {
		t.Errorf("a window of %d does not change the output at position %d", w, last)
	}
}

func TestSlidingConfig(t *testing.T) {
	tests := []struct {
		name         string
		cfg          string
		window, from int
	}{
		{"mistral", `{"model_type":"mistral","sliding_window":4096}`, 4096, 0},
		{"mistral null", `{"model_type":"mistral","sliding_window":null}`, 0, 0},
		{"qwen2 off", `{"model_type":"qwen2","sliding_window":4096,"use_sliding_window":false,"max_window_layers":2}`, 0, 0},
		{"qwen2 on", `{"model_type":"qwen2","sliding_window":4096,"use_sliding_window":true,"max_window_layers":21}`, 4096, 21},
		{"qwen3 on", `{"model_type":"qwen3","sliding_window":128,"use_sliding_window":true,"max_window_layers":2}`, 128, 2},
		{"llama ignores it", `{"model_type":"llama","sliding_window":16}`, 0, 0},
	}
	const dims = `"vocab_size":8,"hidden_size":8,"intermediate_size":8,"num_hidden_layers":4,"num_attention_heads":2,"max_position_embeddings":16,`
	for _, tt := range tests {
		c, err := models.ParseConfig([]byte("{" + dims + tt.cfg[1:]))
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := ParseConfig(c)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if cfg.SlidingWindow != tt.window || cfg.SlidingFrom != tt.from {
			t.Errorf("%s: window %d from layer %d, want %d from %d", tt.name, cfg.SlidingWindow, cfg.SlidingFrom, tt.window, tt.from)
		}
	}
}

// TestBaseModel loads the llama fixture as a LlamaModel (no "model."
// prefix, no lm_head): it serves hidden states only, the same as the causal
// model's, and those hidden states times lm_head are the golden logits.
func TestBaseModel(t *testing.T) {
	const dir = "../../../testdata/models/tiny/llama"
	lm := load(t, dir, nil)
	base := load(t, goldentest.Rewrite(t, dir, func(c map[string]any) {
		c["architectures"] = []string{"LlamaModel"}
	}, func(e map[string]*goldentest.Entry) {
		delete(e, "lm_head.weight")
		for name, v := range e {
			if rest, ok := strings.CutPrefix(name, "model."); ok {
				delete(e, name)
				e["x."+rest] = v
			}
		}
		for name, v := range e {
			if rest, ok := strings.CutPrefix(name, "x."); ok {
				delete(e, name)
				e[rest] = v
			}
		}
	}), nil)
	if base.Info().Head != models.HeadBase {
		t.Fatalf("head %q, want base", base.Info().Head)
	}
	g := goldentest.Read(t, dir)
	ids := g.InputIDs[0]
	c, _ := base.NewCache(16)
	_, err := base.Forward(context.Background(), &models.Batch{Seqs: []models.SeqStep{{Tokens: ids, Cache: c}}})
	if !errors.Is(err, models.ErrBadInput) {
		t.Errorf("logits from a base model: %v, want ErrBadInput", err)
	}
	hidden := func(m *Model) []float32 {
		c, _ := m.NewCache(16)
		out, err := m.Forward(context.Background(), &models.Batch{Hidden: true, Seqs: []models.SeqStep{{Tokens: ids, Cache: c}}})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	hb, hl := hidden(base), hidden(lm)
	if len(hb) != base.Info().HiddenSize {
		t.Fatalf("%d hidden values, want %d", len(hb), base.Info().HiddenSize)
	}
	if msg := goldentest.Mismatch(hb, hl, 0, 0); msg != "" {
		t.Errorf("base and causal LM hidden states differ: %s", msg)
	}
	head := lm.lmHead.F32
	logits := make([]float32, lm.Info().VocabSize)
	for i := range logits {
		s := 0.0
		for j, x := range hb {
			s += float64(x) * float64(head[i*len(hb)+j])
		}
		logits[i] = float32(s)
	}
	g.Check(t, "hidden·lm_head", logits, g.LogitsLast[0])
}
