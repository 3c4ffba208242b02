package skills

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The expectations come from each fixture's config.json, golden.json and the
// tables of testdata/models/tiny/FIXTURES.md.
func TestInspectFixtures(t *testing.T) {
	gen := []Task{TaskTextGeneration, TaskChat} // every decoder fixture has the ChatML template
	emb := []Task{TaskEmbeddings}
	tests := []struct {
		name          string
		family, head  string
		tasks         []Task
		pooling       string
		context       int
		tokenizer     string
		vocab, hidden int
		layers, heads int
		kvHeads       int
		headDim       int
		inter         int
		tied          bool
	}{
		{"llama", FamilyLlama, HeadCausalLM, gen, "", 256, "BPE (SentencePiece, byte fallback)", 512, 64, 2, 4, 2, 16, 176, false},
		{"llama-tied", FamilyLlama, HeadCausalLM, gen, "", 128, "BPE (byte-level)", 384, 48, 3, 6, 6, 8, 128, true},
		{"mistral", FamilyLlama, HeadCausalLM, gen, "", 256, "BPE (SentencePiece, byte fallback)", 448, 64, 2, 8, 2, 8, 160, false},
		{"qwen2", FamilyLlama, HeadCausalLM, gen, "", 256, "BPE (byte-level)", 512, 64, 2, 4, 2, 16, 160, true},
		{"qwen3", FamilyLlama, HeadCausalLM, gen, "", 256, "BPE (byte-level)", 512, 64, 2, 4, 2, 32, 128, true},
		// gpt2: context from n_positions; n_inner null → 4*n_embd; tied by default.
		{"gpt2", FamilyGPT2, HeadCausalLM, gen, "", 128, "BPE (byte-level)", 500, 64, 2, 4, 4, 16, 256, true},
		{"bert", FamilyBERT, HeadBase, emb, PoolingMean, 128, "WordPiece", 400, 64, 2, 4, 4, 16, 128, false},
		{"bert-cls", FamilyBERT, HeadSequenceClassification, []Task{TaskClassification}, "", 128, "WordPiece", 400, 48, 2, 4, 4, 12, 96, false},
		// distilbert: dim / n_layers / n_heads / hidden_dim.
		{"distilbert", FamilyBERT, HeadBase, emb, PoolingMean, 128, "WordPiece", 420, 64, 2, 4, 4, 16, 128, false},
		// RoBERTa positions start at padding_idx+1 = 2: 130 - 2 usable.
		{"roberta", FamilyBERT, HeadBase, emb, PoolingMean, 128, "BPE (byte-level)", 450, 64, 2, 4, 4, 16, 128, false},
		{"xlm-roberta", FamilyBERT, HeadBase, emb, PoolingMean, 64, "Unigram", 600, 64, 2, 2, 2, 32, 96, false},
	}
	if len(tests) != len(tinyFixtures) {
		t.Fatalf("%d cases for %d fixtures", len(tests), len(tinyFixtures))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(tinyDir, tt.name)
			g := readGolden(t, tt.name)
			info, err := Inspect(dir)
			if err != nil {
				t.Fatal(err)
			}
			if !info.Supported || info.Reason != "" || len(info.Warnings) != 0 {
				t.Errorf("supported %v, reason %q, warnings %v", info.Supported, info.Reason, info.Warnings)
			}
			if info.Architecture != g.Architecture || info.DType != g.WeightsDType {
				t.Errorf("architecture %s dtype %s, want %s %s (golden.json)", info.Architecture, info.DType, g.Architecture, g.WeightsDType)
			}
			if wantDecoder := g.Kind == "decoder"; isDecoder(info.Family) != wantDecoder {
				t.Errorf("family %s, but golden.json says %s", info.Family, g.Kind)
			}
			if info.Family != tt.family || info.Head != tt.head || !slices.Equal(info.Tasks, tt.tasks) || info.Pooling != tt.pooling {
				t.Errorf("family %s head %s tasks %v pooling %q, want %s %s %v %q", info.Family, info.Head, info.Tasks, info.Pooling, tt.family, tt.head, tt.tasks, tt.pooling)
			}
			if info.ChatTemplate != slices.Contains(tt.tasks, TaskChat) {
				t.Errorf("ChatTemplate = %v", info.ChatTemplate)
			}
			got := []int{info.ContextLength, info.VocabSize, info.HiddenSize, info.Layers, info.Heads, info.KVHeads, info.HeadDim, info.IntermediateSize}
			want := []int{tt.context, tt.vocab, tt.hidden, tt.layers, tt.heads, tt.kvHeads, tt.headDim, tt.inter}
			if !slices.Equal(got, want) {
				t.Errorf("context, vocab, hidden, layers, heads, kv heads, head dim, intermediate = %v, want %v", got, want)
			}
			if info.TokenizerKind != tt.tokenizer || info.TiedEmbeddings != tt.tied {
				t.Errorf("tokenizer %q tied %v, want %q %v", info.TokenizerKind, info.TiedEmbeddings, tt.tokenizer, tt.tied)
			}
			checkSizes(t, dir, info)
		})
	}
}

// checkSizes cross-checks the counts against an independent header parse,
// the architecture's parameter formula, and the files' sizes.
func checkSizes(t *testing.T, dir string, info Info) {
	t.Helper()
	params, bytes := headerTotals(t, filepath.Join(dir, "model.safetensors"))
	if info.Params != params || info.WeightBytes != bytes || info.WeightFiles != 1 {
		t.Errorf("params %d bytes %d files %d, want %d %d 1 from the header", info.Params, info.WeightBytes, info.WeightFiles, params, bytes)
	}
	if want := formulaParams(t, info); info.Params != want {
		t.Errorf("params %d, but the %s formula gives %d", info.Params, info.ModelType, want)
	}
	if len(info.WeightDTypes) != 1 || info.WeightDTypes[info.DType] != params {
		t.Errorf("WeightDTypes = %v, want all %d in %s", info.WeightDTypes, params, info.DType)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var disk int64
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		disk += fi.Size()
	}
	if info.DiskBytes != disk {
		t.Errorf("DiskBytes = %d, want %d", info.DiskBytes, disk)
	}
}

// formulaParams counts the parameters the transformers modeling code
// creates for the config's dimensions (tied weights once, no buffers).
func formulaParams(t *testing.T, info Info) int64 {
	t.Helper()
	cfg, err := readConfig(info.Dir)
	if err != nil {
		t.Fatal(err)
	}
	v, h, l, i := int64(info.VocabSize), int64(info.HiddenSize), int64(info.Layers), int64(info.IntermediateSize)
	q, kv := int64(info.Heads*info.HeadDim), int64(info.KVHeads*info.HeadDim)
	positions := int64(cfg.intOr(0, "max_position_embeddings", "n_positions"))
	switch info.ModelType {
	case "llama", "mistral", "qwen2", "qwen3":
		layer := h*q + 2*h*kv + q*h + 3*h*i + 2*h // attention, gated MLP, two RMSNorms
		if info.ModelType == "qwen2" {
			layer += q + 2*kv // q/k/v biases
		}
		if info.ModelType == "qwen3" {
			layer += 2 * int64(info.HeadDim) // q_norm, k_norm
		}
		heads := int64(2)
		if info.TiedEmbeddings {
			heads = 1
		}
		return heads*v*h + l*layer + h
	case "gpt2":
		layer := 2*h + (h*3*h + 3*h) + (h*h + h) + 2*h + (h*i + i) + (i*h + h)
		return v*h + positions*h + l*layer + 2*h
	default: // the BERT family
		layer := 4*(h*h+h) + 2*h + (h*i + i) + (i*h + h) + 2*h
		total := v*h + positions*h + int64(cfg.intOr(0, "type_vocab_size"))*h + 2*h + l*layer
		if info.ModelType != "distilbert" {
			total += h*h + h // pooler
		}
		if info.Head == HeadSequenceClassification {
			total += int64(info.NumLabels) * (h + 1)
		}
		return total
	}
}

func TestInspectClassifierLabels(t *testing.T) {
	info, err := Inspect(filepath.Join(tinyDir, "bert-cls"))
	if err != nil {
		t.Fatal(err)
	}
	if info.NumLabels != 3 || !slices.Equal(info.Labels, []string{"negative", "neutral", "positive"}) {
		t.Errorf("labels %d %v", info.NumLabels, info.Labels)
	}
}

func TestInspectContextKeys(t *testing.T) {
	tests := []struct {
		name    string
		fixture string
		edit    func(map[string]any)
		st      string // sentence_bert_config.json, if any
		want    int
	}{
		// The real openai-community/gpt2 config: n_positions 1024, n_ctx 1024.
		{"gpt2 n_positions", "gpt2", func(c map[string]any) { c["n_positions"], c["n_ctx"] = 1024, 1024 }, "", 1024},
		{"gpt2 n_ctx only", "gpt2", func(c map[string]any) { delete(c, "n_positions"); c["n_ctx"] = 512 }, "", 512},
		{"roberta pad 0", "roberta", func(c map[string]any) { c["pad_token_id"] = 0 }, "", 129},
		{"roberta default pad", "roberta", func(c map[string]any) { delete(c, "pad_token_id") }, "", 128},
		{"sentence-transformers shorter", "bert", nil, `{"max_seq_length": 64}`, 64},
		{"sentence-transformers longer", "bert", nil, `{"max_seq_length": 4096}`, 128},
		{"none", "bert", func(c map[string]any) { delete(c, "max_position_embeddings") }, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyFixture(t, tt.fixture)
			if tt.edit != nil {
				editConfig(t, dir, tt.edit)
			}
			if tt.st != "" {
				writeFile(t, dir, "sentence_bert_config.json", tt.st)
			}
			info, err := Inspect(dir)
			if err != nil {
				t.Fatal(err)
			}
			if info.ContextLength != tt.want {
				t.Errorf("ContextLength = %d, want %d", info.ContextLength, tt.want)
			}
		})
	}
}

func TestInspectNotServable(t *testing.T) {
	t.Run("no safetensors", func(t *testing.T) {
		dir := copyFixture(t, "llama")
		if err := os.Rename(filepath.Join(dir, "model.safetensors"), filepath.Join(dir, "pytorch_model.bin")); err != nil {
			t.Fatal(err)
		}
		info, err := Inspect(dir)
		if err != nil {
			t.Fatal(err)
		}
		if info.Supported || !strings.Contains(info.Reason, "safetensors") || info.Params != 0 || info.Tasks != nil {
			t.Errorf("supported %v reason %q params %d tasks %v", info.Supported, info.Reason, info.Params, info.Tasks)
		}
		if info.DType != "F32" || info.Architecture != "LlamaForCausalLM" {
			t.Errorf("the config is still described: dtype %q arch %q", info.DType, info.Architecture)
		}
	})
	t.Run("slow tokenizer only", func(t *testing.T) {
		dir := copyFixture(t, "llama")
		if err := os.Remove(filepath.Join(dir, "tokenizer.json")); err != nil {
			t.Fatal(err)
		}
		writeFile(t, dir, "tokenizer.model", "x")
		info, err := Inspect(dir)
		if err != nil {
			t.Fatal(err)
		}
		if info.Supported || !strings.Contains(info.Reason, "tokenizer.json") || info.TokenizerKind != "SentencePiece (tokenizer.model only)" {
			t.Errorf("supported %v reason %q kind %q", info.Supported, info.Reason, info.TokenizerKind)
		}
	})
	t.Run("malformed tokenizer.json", func(t *testing.T) {
		dir := copyFixture(t, "bert")
		writeFile(t, dir, "tokenizer.json", `{"model": {"type": 5}}`)
		info, err := Inspect(dir)
		if err != nil {
			t.Fatal(err)
		}
		if info.Supported || len(info.Warnings) != 1 || !strings.Contains(info.Warnings[0], "tokenizer.json") {
			t.Errorf("supported %v warnings %v", info.Supported, info.Warnings)
		}
	})
	t.Run("unsupported architecture keeps its reason", func(t *testing.T) {
		dir := copyFixture(t, "llama")
		editConfig(t, dir, func(c map[string]any) { c["model_type"] = "gemma"; c["architectures"] = []string{"GemmaForCausalLM"} })
		if err := os.Remove(filepath.Join(dir, "tokenizer.json")); err != nil {
			t.Fatal(err)
		}
		info, err := Inspect(dir)
		if err != nil {
			t.Fatal(err)
		}
		if info.Supported || !strings.Contains(info.Reason, "GemmaForCausalLM") || info.Params == 0 {
			t.Errorf("supported %v reason %q params %d", info.Supported, info.Reason, info.Params)
		}
	})
}

func TestInspectDTypes(t *testing.T) {
	tests := []struct {
		dtype       any // config.json's torch_dtype; nil removes it
		key         string
		want        string
		wantWarning bool
	}{
		{nil, "torch_dtype", "F32", false}, // from the weights
		{"auto", "torch_dtype", "F32", false},
		{"float16", "torch_dtype", "F16", true},
		{"torch.float32", "torch_dtype", "F32", false},
		{"bfloat16", "dtype", "BF16", true}, // the newer key wins
	}
	for _, tt := range tests {
		dir := copyFixture(t, "llama")
		editConfig(t, dir, func(c map[string]any) {
			delete(c, "torch_dtype")
			if tt.dtype != nil {
				c[tt.key] = tt.dtype
			}
			if tt.key == "dtype" {
				c["torch_dtype"] = "float32"
			}
		})
		info, err := Inspect(dir)
		if err != nil {
			t.Fatal(err)
		}
		if info.DType != tt.want || (len(info.Warnings) > 0) != tt.wantWarning {
			t.Errorf("%s=%v: dtype %s warnings %v, want %s (warning %v)", tt.key, tt.dtype, info.DType, info.Warnings, tt.want, tt.wantWarning)
		}
		if tt.wantWarning && !info.Supported {
			t.Errorf("%s=%v: a dtype mismatch must not stop serving", tt.key, tt.dtype)
		}
	}
}

func TestInspectErrors(t *testing.T) {
	corrupt := copyFixture(t, "bert")
	writeFile(t, corrupt, "model.safetensors", "\x10\x00\x00\x00\x00\x00\x00\x00{not json}......")
	noConfig := copyFixture(t, "bert")
	if err := os.Remove(filepath.Join(noConfig, "config.json")); err != nil {
		t.Fatal(err)
	}
	badModules := copyFixture(t, "bert")
	writeFile(t, badModules, "modules.json", `{"not": "a list"}`)
	tests := []struct{ dir, want string }{
		{corrupt, "model.safetensors"},
		{noConfig, "no config.json"},
		{badModules, "modules.json"},
		{filepath.Join(t.TempDir(), "missing"), "no config.json"},
	}
	for _, tt := range tests {
		if _, err := Inspect(tt.dir); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Inspect(%s) = %v, want an error mentioning %q", tt.dir, err, tt.want)
		}
		if _, err := Detect(tt.dir); tt.dir != corrupt && err == nil {
			t.Errorf("Detect(%s) succeeded", tt.dir)
		}
	}
}

func TestDiskBytesCountsBlobsOnce(t *testing.T) {
	dir := t.TempDir()
	blobs := t.TempDir()
	writeFile(t, blobs, "a", "12345")
	writeFile(t, blobs, "b", "123")
	for _, link := range []struct{ name, target string }{
		{"x", "a"}, {"y", "a"}, {"sub/z", "b"}, {"broken", "missing"},
	} {
		path := filepath.Join(dir, filepath.FromSlash(link.name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(blobs, link.target), path); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, dir, "plain", "12")
	got, err := diskBytes(dir)
	if err != nil || got != 5+3+2 {
		t.Errorf("diskBytes = %d, %v; want 10", got, err)
	}
	if _, err := diskBytes(filepath.Join(dir, "nope")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing folder: %v", err)
	}
}
