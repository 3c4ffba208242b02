package tokenizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// isNull reports whether a raw JSON value is absent or null.
func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}

// typeOf returns the "type" field of a component object.
func typeOf(raw json.RawMessage) (string, error) {
	var c struct {
		Type *string `json:"type"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return "", err
	}
	if c.Type == nil {
		return "", errors.New(`missing "type" field`)
	}
	return *c.Type, nil
}

// parsePattern reads {"String": "..."} or {"Regex": "..."}.
func parsePattern(raw json.RawMessage) (pattern, error) {
	var c struct {
		String *string `json:"String"`
		Regex  *string `json:"Regex"`
	}
	if isNull(raw) {
		return nil, errors.New("missing pattern")
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("pattern: %w", err)
	}
	switch {
	case c.String != nil && c.Regex == nil:
		return literalRegex(*c.String)
	case c.Regex != nil && c.String == nil:
		return compileRegex(*c.Regex)
	}
	return nil, fmt.Errorf("pattern must be {\"String\": ...} or {\"Regex\": ...}, got %s", truncateJSON(raw))
}

func truncateJSON(raw json.RawMessage) string {
	if len(raw) > 80 {
		return string(raw[:80]) + "..."
	}
	return string(raw)
}
