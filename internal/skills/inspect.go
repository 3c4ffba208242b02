package skills

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"hfserve/internal/safetensors"
)

// Info is everything `hfserve show` prints about a model folder, gathered
// without loading the weights.
type Info struct {
	Dir string `json:"dir"`
	Detection
	// DType is config.json's dtype (torch_dtype) in safetensors spelling
	// (F32, F16, BF16), else the dtype most parameters are stored in.
	DType string `json:"dtype"`
	// WeightDTypes counts the stored parameters per safetensors dtype.
	WeightDTypes map[string]int64 `json:"weight_dtypes"`
	Params       int64            `json:"params"`       // elements of all stored tensors (tied weights once)
	WeightBytes  int64            `json:"weight_bytes"` // tensor data in the safetensors files
	WeightFiles  int              `json:"weight_files"` // safetensors files (shards)
	DiskBytes    int64            `json:"disk_bytes"`   // every file in the folder, each blob once
	// ContextLength is the longest input the model takes, in tokens.
	ContextLength int    `json:"context_length"`
	TokenizerKind string `json:"tokenizer_kind"` // e.g. "BPE (byte-level)", "WordPiece", "Unigram"
	ChatTemplate  bool   `json:"chat_template"`

	VocabSize        int  `json:"vocab_size"`
	HiddenSize       int  `json:"hidden_size"`
	Layers           int  `json:"layers"`
	Heads            int  `json:"heads"`
	KVHeads          int  `json:"kv_heads"`
	HeadDim          int  `json:"head_dim"`
	IntermediateSize int  `json:"intermediate_size"`
	TiedEmbeddings   bool `json:"tied_embeddings"` // decoders: the LM head reuses the input embeddings

	// Warnings are problems that do not stop the inspection (a dtype
	// mismatch, a missing tokenizer.json); the ones that stop serving also
	// turn Supported off.
	Warnings []string `json:"warnings,omitempty"`
}

// Inspect describes the model in dir from config.json, the safetensors
// headers and the tokenizer files, reading no tensor data. A folder without
// safetensors weights or without tokenizer.json is reported (Supported
// false, with the reason) rather than failed; corrupt weight headers and a
// missing or malformed config.json are errors.
func Inspect(dir string) (Info, error) {
	in, err := readInputs(dir)
	if err != nil {
		return Info{}, err
	}
	cfg := in.cfg
	info := Info{Dir: dir, Detection: detect(cfg, in.st, in.chat), ChatTemplate: in.chat}
	info.dimensions(cfg)
	info.ContextLength = contextLength(cfg, in.st)

	if err := info.weights(dir); err != nil {
		return Info{}, err
	}
	info.DType = configDType(cfg.DType)
	if stored := dominant(info.WeightDTypes); info.DType == "" {
		info.DType = stored
	} else if stored != "" && stored != info.DType {
		info.Warnings = append(info.Warnings, fmt.Sprintf("config.json says dtype %s but the weights are stored as %s", cfg.DType, stored))
	}

	kind, warning := tokenizerKind(dir)
	info.TokenizerKind = kind
	if warning != "" {
		info.Warnings = append(info.Warnings, warning)
		info.notServable("no usable tokenizer.json")
	}
	if info.DiskBytes, err = diskBytes(dir); err != nil {
		return Info{}, fmt.Errorf("skills: %w", err)
	}
	return info, nil
}

// weights reads the safetensors headers.
func (info *Info) weights(dir string) error {
	mf, err := safetensors.ReadModelHeaders(dir)
	if errors.Is(err, safetensors.ErrNoWeights) {
		info.Warnings = append(info.Warnings, err.Error())
		info.notServable("no safetensors weights")
		return nil
	}
	if err != nil {
		return fmt.Errorf("skills: %w", err)
	}
	info.Params = mf.ParamCount()
	info.WeightBytes = mf.TensorBytes()
	info.WeightFiles = len(mf.Files)
	info.WeightDTypes = map[string]int64{}
	for dt, n := range mf.DTypeCounts() {
		info.WeightDTypes[string(dt)] = n
	}
	return nil
}

// notServable turns Supported off for a reason found beyond config.json,
// keeping an earlier reason first.
func (info *Info) notServable(reason string) {
	if info.Supported {
		info.Supported, info.Reason, info.Tasks = false, reason, nil
	}
}

// dimensions reads the sizes under each family's key names.
func (info *Info) dimensions(cfg *modelConfig) {
	info.VocabSize = cfg.intOr(0, "vocab_size")
	info.HiddenSize = cfg.intOr(0, "hidden_size", "n_embd", "dim", "d_model")
	info.Layers = cfg.intOr(0, "num_hidden_layers", "n_layer", "n_layers")
	info.Heads = cfg.intOr(0, "num_attention_heads", "n_head", "n_heads")
	info.KVHeads = cfg.intOr(info.Heads, "num_key_value_heads")
	if info.Heads > 0 {
		info.HeadDim = cfg.intOr(info.HiddenSize/info.Heads, "head_dim")
	}
	// GPT-2's n_inner null means 4*n_embd.
	info.IntermediateSize = cfg.intOr(0, "intermediate_size", "n_inner", "hidden_dim")
	if info.IntermediateSize == 0 && info.Family == FamilyGPT2 {
		info.IntermediateSize = 4 * info.HiddenSize
	}
	if isDecoder(info.Family) {
		tied, ok := cfg.bools["tie_word_embeddings"]
		info.TiedEmbeddings = tied || !ok // transformers' default is true
	}
}

// contextLength is the longest input in tokens. RoBERTa-style models offset
// positions by padding_idx+1, so their table holds that many fewer tokens
// (as Text Embeddings Inference computes it); a sentence-transformers
// max_seq_length, when smaller, is what the model was trained to embed.
func contextLength(cfg *modelConfig, st sentenceTransformers) int {
	n := cfg.intOr(0, "max_position_embeddings", "n_positions", "max_seq_len", "seq_length", "n_ctx", "max_sequence_length")
	if cfg.ModelType == "roberta" || cfg.ModelType == "xlm-roberta" {
		if pad := cfg.intOr(1, "pad_token_id"); pad >= 0 && n > pad+1 {
			n -= pad + 1
		}
	}
	if st.MaxSeqLength > 0 && (n == 0 || st.MaxSeqLength < n) {
		n = st.MaxSeqLength
	}
	return n
}

// configDType maps a torch dtype name to safetensors spelling; "" for
// absent, "auto" or unknown names, so the stored dtype is used instead.
func configDType(s string) string {
	switch strings.TrimPrefix(s, "torch.") {
	case "float32", "float":
		return string(safetensors.F32)
	case "float16", "half":
		return string(safetensors.F16)
	case "bfloat16":
		return string(safetensors.BF16)
	case "float64", "double":
		return string(safetensors.F64)
	}
	return ""
}

// dominant is the dtype holding the most parameters (ties: alphabetical).
func dominant(counts map[string]int64) string {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	best := ""
	for _, k := range keys {
		if best == "" || counts[k] > counts[best] {
			best = k
		}
	}
	return best
}
