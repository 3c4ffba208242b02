package chat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
)

// Message is a convenience form of one chat message for callers that build
// messages in Go rather than pass the client's JSON through. It marshals in
// the order an OpenAI client writes the fields (role, content, name,
// tool_calls, tool_call_id, reasoning_content), then Extra's keys sorted;
// empty optional fields are left out, so templates that test
// `message.name is defined` see what they would see from the client.
type Message struct {
	Role string
	// Content is a string, a list of parts such as
	// {"type": "text", "text": ...}, or nil (JSON null).
	Content          any
	Name             string
	ToolCalls        []any
	ToolCallID       string
	ReasoningContent string
	// Extra holds any other fields; it may not repeat the ones above.
	Extra map[string]any
}

// MarshalJSON writes the message as one JSON object in the order above.
func (m Message) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	field := func(key string, v any) error {
		data, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("message field %s: %w", key, err)
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		k, _ := json.Marshal(key)
		b.Write(k)
		b.WriteByte(':')
		b.Write(data)
		return nil
	}
	fields := []struct {
		key  string
		val  any
		keep bool
	}{
		{"role", m.Role, true},
		{"content", m.Content, true},
		{"name", m.Name, m.Name != ""},
		{"tool_calls", m.ToolCalls, m.ToolCalls != nil},
		{"tool_call_id", m.ToolCallID, m.ToolCallID != ""},
		{"reasoning_content", m.ReasoningContent, m.ReasoningContent != ""},
	}
	for _, f := range fields {
		if _, dup := m.Extra[f.key]; dup {
			return nil, fmt.Errorf("message: Extra repeats the field %q", f.key)
		}
		if f.keep {
			if err := field(f.key, f.val); err != nil {
				return nil, err
			}
		}
	}
	keys := make([]string, 0, len(m.Extra))
	for k := range m.Extra {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := field(k, m.Extra[k]); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
