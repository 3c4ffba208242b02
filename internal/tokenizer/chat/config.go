package chat

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// FromTokenizerConfig loads the chat template of a model folder and the
// special tokens its template sees, as transformers does:
//
//   - the template is chat_template.jinja if present, else chat_template.json
//     ({"chat_template": ...}), else tokenizer_config.json's chat_template;
//   - a template may be a string or a list of {"name", "template"}; name ""
//     picks "default", another name picks that template
//     (additional_chat_templates/<name>.jinja counts too). transformers
//     itself picks "tool_use" when tools are given and the model has one:
//     callers do the same by asking for "tool_use" first and falling back
//     to "" on ErrNoChatTemplate;
//   - special tokens come from tokenizer_config.json: bos, eos, unk, pad,
//     sep, cls and mask tokens, each a string or an {"content": ...} object,
//     and additional_special_tokens.
//
// A folder without a template gives an error wrapping ErrNoChatTemplate.
func FromTokenizerConfig(dir, name string) (*Template, SpecialTokens, error) {
	var cfg map[string]json.RawMessage
	cfgPath := filepath.Join(dir, "tokenizer_config.json")
	data, err := os.ReadFile(cfgPath)
	switch {
	case err == nil:
		if err := json.Unmarshal(data, &cfg); err != nil {
			return nil, SpecialTokens{}, fmt.Errorf("chat template: %s: %w", cfgPath, err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, SpecialTokens{}, fmt.Errorf("chat template: %w", err)
	}
	special, err := specialTokens(cfg)
	if err != nil {
		return nil, SpecialTokens{}, fmt.Errorf("chat template: %s: %w", cfgPath, err)
	}
	src, from, err := findTemplate(dir, cfg, name)
	if err != nil {
		return nil, SpecialTokens{}, err
	}
	t, err := Parse(src)
	if err != nil {
		return nil, SpecialTokens{}, fmt.Errorf("%s: %w", from, err)
	}
	return t, special, nil
}

// findTemplate returns the template source and the file it came from.
func findTemplate(dir string, cfg map[string]json.RawMessage, name string) (string, string, error) {
	if name != "" && name != "default" {
		p := filepath.Join(dir, "additional_chat_templates", name+".jinja")
		if data, err := os.ReadFile(p); err == nil {
			return string(data), p, nil
		}
	}
	var raw json.RawMessage
	from := ""
	jinjaPath := filepath.Join(dir, "chat_template.jinja")
	jsonPath := filepath.Join(dir, "chat_template.json")
	if data, err := os.ReadFile(jinjaPath); err == nil {
		if name == "" || name == "default" {
			return string(data), jinjaPath, nil
		}
		return "", "", fmt.Errorf("chat template: %s: no template named %q (have: default): %w", dir, name, ErrNoChatTemplate)
	} else if data, err := os.ReadFile(jsonPath); err == nil {
		var file struct {
			ChatTemplate json.RawMessage `json:"chat_template"`
		}
		if err := json.Unmarshal(data, &file); err != nil {
			return "", "", fmt.Errorf("chat template: %s: %w", jsonPath, err)
		}
		raw, from = file.ChatTemplate, jsonPath
	} else {
		raw, from = cfg["chat_template"], filepath.Join(dir, "tokenizer_config.json")
	}
	if len(raw) == 0 || string(raw) == "null" {
		return "", "", fmt.Errorf("chat template: %s: no chat_template in tokenizer_config.json and no chat_template.jinja: %w", dir, ErrNoChatTemplate)
	}
	src, err := pickTemplate(raw, name)
	if err != nil {
		return "", "", fmt.Errorf("chat template: %s: %w", from, err)
	}
	return src, from, nil
}

// pickTemplate reads a chat_template value: a string, or a list of named
// templates.
func pickTemplate(raw json.RawMessage, name string) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if name != "" && name != "default" {
			return "", fmt.Errorf("no template named %q (have: default): %w", name, ErrNoChatTemplate)
		}
		return s, nil
	}
	var named []struct {
		Name     string `json:"name"`
		Template string `json:"template"`
	}
	if err := json.Unmarshal(raw, &named); err != nil {
		return "", fmt.Errorf("chat_template is neither a string nor a list of {name, template}: %w", err)
	}
	want := name
	if want == "" {
		want = "default"
	}
	var names []string
	for _, t := range named {
		if t.Name == want {
			return t.Template, nil
		}
		names = append(names, t.Name)
	}
	slices.Sort(names)
	return "", fmt.Errorf("no template named %q (have: %s): %w", want, strings.Join(names, ", "), ErrNoChatTemplate)
}

// specialTokens reads the special-token strings of tokenizer_config.json.
func specialTokens(cfg map[string]json.RawMessage) (SpecialTokens, error) {
	var st SpecialTokens
	for _, name := range []string{"bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token", "mask_token"} {
		raw, ok := cfg[name]
		if !ok {
			continue
		}
		tok, err := tokenContent(raw)
		if err != nil {
			return SpecialTokens{}, fmt.Errorf("%s: %w", name, err)
		}
		if tok == "" {
			continue
		}
		switch name {
		case "bos_token":
			st.BOS = tok
		case "eos_token":
			st.EOS = tok
		case "unk_token":
			st.UNK = tok
		case "pad_token":
			st.PAD = tok
		default:
			if st.Extra == nil {
				st.Extra = map[string]string{}
			}
			st.Extra[name] = tok
		}
	}
	if raw, ok := cfg["additional_special_tokens"]; ok && string(raw) != "null" {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return SpecialTokens{}, fmt.Errorf("additional_special_tokens: %w", err)
		}
		for i, item := range list {
			tok, err := tokenContent(item)
			if err != nil {
				return SpecialTokens{}, fmt.Errorf("additional_special_tokens[%d]: %w", i, err)
			}
			if tok != "" {
				st.Additional = append(st.Additional, tok)
			}
		}
	}
	return st, nil
}

// tokenContent reads a token written as a string, as {"content": ...} (an
// AddedToken), or as null.
func tokenContent(raw json.RawMessage) (string, error) {
	if string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var obj struct {
		Content *string `json:"content"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil || obj.Content == nil {
		return "", fmt.Errorf("want a string or an object with a content string, got %s", truncateForError(raw))
	}
	return *obj.Content, nil
}

func truncateForError(raw []byte) string {
	if len(raw) > 60 {
		return string(raw[:60]) + "..."
	}
	return string(raw)
}

// Templates returns every chat template a model folder ships, by name
// ("default" for the unnamed one), under the precedence FromTokenizerConfig
// uses: chat_template.jinja (the default; then tokenizer_config.json's
// templates are not read), else chat_template.json, else
// tokenizer_config.json's chat_template; additional_chat_templates/*.jinja
// add or replace named ones. It also returns the special tokens. A folder
// without templates gives an empty map and no error; templates are not
// compiled here.
func Templates(dir string) (map[string]string, SpecialTokens, error) {
	var cfg map[string]json.RawMessage
	cfgPath := filepath.Join(dir, "tokenizer_config.json")
	data, err := os.ReadFile(cfgPath)
	switch {
	case err == nil:
		if err := json.Unmarshal(data, &cfg); err != nil {
			return nil, SpecialTokens{}, fmt.Errorf("chat template: %s: %w", cfgPath, err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, SpecialTokens{}, fmt.Errorf("chat template: %w", err)
	}
	special, err := specialTokens(cfg)
	if err != nil {
		return nil, SpecialTokens{}, fmt.Errorf("chat template: %s: %w", cfgPath, err)
	}
	out := map[string]string{}
	jsonPath := filepath.Join(dir, "chat_template.json")
	if data, err := os.ReadFile(filepath.Join(dir, "chat_template.jinja")); err == nil {
		out["default"] = string(data)
	} else {
		raw, from := cfg["chat_template"], cfgPath
		if data, err := os.ReadFile(jsonPath); err == nil {
			var file struct {
				ChatTemplate json.RawMessage `json:"chat_template"`
			}
			if err := json.Unmarshal(data, &file); err != nil {
				return nil, SpecialTokens{}, fmt.Errorf("chat template: %s: %w", jsonPath, err)
			}
			raw, from = file.ChatTemplate, jsonPath
		}
		if err := allTemplates(raw, out); err != nil {
			return nil, SpecialTokens{}, fmt.Errorf("chat template: %s: %w", from, err)
		}
	}
	extra, _ := filepath.Glob(filepath.Join(dir, "additional_chat_templates", "*.jinja"))
	for _, p := range extra {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, SpecialTokens{}, fmt.Errorf("chat template: %w", err)
		}
		name := strings.TrimSuffix(filepath.Base(p), ".jinja")
		if name != "default" {
			out[name] = string(data)
		}
	}
	return out, special, nil
}

// allTemplates adds the templates of a chat_template value (absent, null, a
// string, or a list of {name, template}) to out.
func allTemplates(raw json.RawMessage, out map[string]string) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		out["default"] = s
		return nil
	}
	var named []struct {
		Name     string `json:"name"`
		Template string `json:"template"`
	}
	if err := json.Unmarshal(raw, &named); err != nil {
		return fmt.Errorf("chat_template is neither a string nor a list of {name, template}: %w", err)
	}
	for _, t := range named {
		if _, dup := out[t.Name]; !dup { // the first of a name wins, as in pickTemplate
			out[t.Name] = t.Template
		}
	}
	return nil
}
