package skills

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Files that can carry a chat template, in the order transformers looks.
const (
	tokenizerConfigFile = "tokenizer_config.json"
	chatTemplateJinja   = "chat_template.jinja" // transformers ≥ 4.43 saves the template here
	chatTemplateJSON    = "chat_template.json"  // processors of multimodal models
)

// hasChatTemplate reports whether the folder carries a chat template: a
// chat_template.jinja file, or a chat_template in tokenizer_config.json or
// chat_template.json that is a non-empty string or a list of
// {"name", "template"} entries with at least one template.
func hasChatTemplate(dir string) (bool, error) {
	if b, err := os.ReadFile(filepath.Join(dir, chatTemplateJinja)); err == nil && strings.TrimSpace(string(b)) != "" {
		return true, nil
	}
	for _, name := range []string{tokenizerConfigFile, chatTemplateJSON} {
		var cfg struct {
			ChatTemplate json.RawMessage `json:"chat_template"`
		}
		path := filepath.Join(dir, name)
		found, err := readJSONFile(path, &cfg)
		if err != nil {
			return false, err
		}
		if !found {
			continue
		}
		ok, err := parseChatTemplate(cfg.ChatTemplate)
		if err != nil {
			return false, fmt.Errorf("%s: %w", path, err)
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}

// parseChatTemplate reports whether a chat_template value holds a template.
func parseChatTemplate(raw json.RawMessage) (bool, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return false, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return strings.TrimSpace(s) != "", nil
	}
	var named []struct {
		Name     string `json:"name"`
		Template string `json:"template"`
	}
	if err := json.Unmarshal(raw, &named); err != nil {
		return false, fmt.Errorf("chat_template: want a string or a list of {\"name\", \"template\"}, got %s", clip(raw))
	}
	for _, t := range named {
		if strings.TrimSpace(t.Template) != "" {
			return true, nil
		}
	}
	return false, nil
}
