package tokenizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"hfserve/internal/tokenizer/chat"
)

// Config is what a model folder says about its tokenizer beyond
// tokenizer.json: tokenizer_config.json (special tokens, flags, length,
// chat templates) and generation_config.json (the ids that end generation).
// Settings a folder leaves out keep their zero value, or nil for the
// optional flags.
type Config struct {
	// SpecialTokens are bos/eos/unk/pad (and sep/cls/mask, additional)
	// tokens, each written as a string or as an {"content": ...} object.
	SpecialTokens chat.SpecialTokens
	// AddBOSToken and AddEOSToken are add_bos_token and add_eos_token.
	AddBOSToken, AddEOSToken *bool
	// ModelMaxLength is model_max_length; 0 means no limit (absent, or one
	// of transformers' "very large" sentinels such as 1e30).
	ModelMaxLength int
	// CleanUpTokenizationSpaces is clean_up_tokenization_spaces (false when
	// absent, transformers' current default).
	CleanUpTokenizationSpaces bool
	// TokenizerClass is tokenizer_class, for messages.
	TokenizerClass string
	// ChatTemplates are the template sources by name ("default" for the
	// unnamed one), from tokenizer_config.json, chat_template.jinja,
	// chat_template.json and additional_chat_templates/.
	ChatTemplates map[string]string
	// EOSTokenIDs is generation_config.json's eos_token_id (one id or a
	// list); nil when absent.
	EOSTokenIDs []int32
}

// noLimitLength is where model_max_length stops being a real context
// length: transformers writes int(1e30) (VERY_LARGE_INTEGER) or 1e20 when
// a model sets none, and no model has a context anywhere near 1e15 tokens.
const noLimitLength = 1e15

// LoadConfig reads dir/tokenizer_config.json, the chat templates and
// dir/generation_config.json. Missing files are not errors; malformed ones
// are.
func LoadConfig(dir string) (*Config, error) {
	cfg := &Config{}
	var raw struct {
		AddBOS         *bool           `json:"add_bos_token"`
		AddEOS         *bool           `json:"add_eos_token"`
		MaxLength      json.RawMessage `json:"model_max_length"`
		CleanUp        *bool           `json:"clean_up_tokenization_spaces"`
		TokenizerClass *string         `json:"tokenizer_class"`
	}
	path := filepath.Join(dir, "tokenizer_config.json")
	if ok, err := readJSON(path, &raw); err != nil {
		return nil, err
	} else if ok {
		cfg.AddBOSToken, cfg.AddEOSToken = raw.AddBOS, raw.AddEOS
		cfg.CleanUpTokenizationSpaces = raw.CleanUp != nil && *raw.CleanUp
		if raw.TokenizerClass != nil {
			cfg.TokenizerClass = *raw.TokenizerClass
		}
		n, err := parseMaxLength(raw.MaxLength)
		if err != nil {
			return nil, fmt.Errorf("tokenizer: %s: model_max_length: %w", path, err)
		}
		cfg.ModelMaxLength = n
	}
	templates, special, err := chat.Templates(dir)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	cfg.ChatTemplates, cfg.SpecialTokens = templates, special

	var gen struct {
		EOS json.RawMessage `json:"eos_token_id"`
	}
	genPath := filepath.Join(dir, "generation_config.json")
	if ok, err := readJSON(genPath, &gen); err != nil {
		return nil, err
	} else if ok {
		if cfg.EOSTokenIDs, err = parseIDList(gen.EOS); err != nil {
			return nil, fmt.Errorf("tokenizer: %s: eos_token_id: %w", genPath, err)
		}
	}
	return cfg, nil
}

// readJSON decodes a JSON object file into v; false when it does not exist.
func readJSON(path string, v any) (bool, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("tokenizer: %w", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, fmt.Errorf("tokenizer: %s: %w", path, err)
	}
	return true, nil
}

// parseMaxLength reads model_max_length: absent or null is no limit, a
// number at or above noLimitLength too (1e30 does not fit an int64).
func parseMaxLength(raw json.RawMessage) (int, error) {
	if isNull(raw) {
		return 0, nil
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil {
		return 0, fmt.Errorf("want a number, got %s", truncateJSON(raw))
	}
	switch {
	case f >= noLimitLength:
		return 0, nil
	case f < 0 || f != math.Trunc(f):
		return 0, fmt.Errorf("want a positive integer, got %s", truncateJSON(raw))
	}
	return int(f), nil
}

// parseIDList reads a token id or a list of them (null: none).
func parseIDList(raw json.RawMessage) ([]int32, error) {
	if isNull(raw) {
		return nil, nil
	}
	raw = bytes.TrimSpace(raw)
	var one int32
	if err := json.Unmarshal(raw, &one); err == nil {
		if one < 0 {
			return nil, fmt.Errorf("negative token id %d", one)
		}
		return []int32{one}, nil
	}
	var list []int32
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("want a token id or a list of them, got %s", truncateJSON(raw))
	}
	for _, id := range list {
		if id < 0 {
			return nil, fmt.Errorf("negative token id %d", id)
		}
	}
	return list, nil
}

// Pretrained is a model folder's tokenizer: the tokenizer.json pipeline and
// its Config, as transformers' PreTrainedTokenizerFast loads them together.
// Like Tokenizer it is immutable and safe for concurrent use.
type Pretrained struct {
	*Tokenizer
	Config *Config
}

// LoadDir loads dir/tokenizer.json (or tokenizer.json.gz) with the folder's
// configuration (see LoadConfig).
func LoadDir(dir string) (*Pretrained, error) {
	var path string
	for _, name := range []string{"tokenizer.json", "tokenizer.json.gz"} {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		return nil, fmt.Errorf("tokenizer: %s: no tokenizer.json (hfserve needs the fast-tokenizer file; a folder with only a SentencePiece or vocab.txt tokenizer must be converted first)", dir)
	}
	tk, err := LoadFile(path)
	if err != nil {
		return nil, err
	}
	cfg, err := LoadConfig(dir)
	if err != nil {
		return nil, err
	}
	return &Pretrained{Tokenizer: tk, Config: cfg}, nil
}

// Decode turns ids back into text as transformers' decode does: the
// tokenizer.json decoder, then clean_up_tokenization_spaces when the
// configuration asks for it.
func (p *Pretrained) Decode(ids []int32, skipSpecial bool) (string, error) {
	s, err := p.Tokenizer.Decode(ids, skipSpecial)
	if err != nil || !p.Config.CleanUpTokenizationSpaces {
		return s, err
	}
	return CleanUpTokenizationSpaces(s), nil
}

// StopTokenIDs are the ids that end generation: generation_config.json's
// eos_token_id list, plus the id of tokenizer_config.json's eos_token when
// that list does not have it (generation_config.json's order first).
func (p *Pretrained) StopTokenIDs() []int32 {
	ids := append([]int32(nil), p.Config.EOSTokenIDs...)
	if eos := p.Config.SpecialTokens.EOS; eos != "" {
		if id, ok := p.TokenToID(eos); ok && !containsID(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}

func containsID(ids []int32, id int32) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// ChatTemplate compiles the chat template called name ("" or "default" for
// the default one) with the special tokens it sees. A missing template is
// an error wrapping chat.ErrNoChatTemplate: callers that want
// transformers' choice of "tool_use" when tools are given ask for it first
// and fall back to "" on that error.
func (p *Pretrained) ChatTemplate(name string) (*chat.Template, chat.SpecialTokens, error) {
	if name == "" {
		name = "default"
	}
	src, ok := p.Config.ChatTemplates[name]
	if !ok {
		if len(p.Config.ChatTemplates) == 0 {
			return nil, chat.SpecialTokens{}, fmt.Errorf("tokenizer: the model has no chat template: %w", chat.ErrNoChatTemplate)
		}
		return nil, chat.SpecialTokens{}, fmt.Errorf("tokenizer: no chat template named %q (have: %s): %w", name, templateNames(p.Config.ChatTemplates), chat.ErrNoChatTemplate)
	}
	t, err := chat.Parse(src)
	if err != nil {
		return nil, chat.SpecialTokens{}, fmt.Errorf("tokenizer: chat template %q: %w", name, err)
	}
	return t, p.Config.SpecialTokens, nil
}

func templateNames(m map[string]string) string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// CleanUpTokenizationSpaces is transformers' clean_up_tokenization: it
// removes the space a word-level decode leaves before punctuation and
// English contractions. The replacements run one after the other, as in
// Python, which matters where they overlap.
func CleanUpTokenizationSpaces(s string) string {
	for _, r := range [...][2]string{
		{" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"},
		{" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"},
	} {
		s = strings.ReplaceAll(s, r[0], r[1])
	}
	return s
}
