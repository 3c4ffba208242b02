package chat

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
)

// BenchmarkRenderQwen3 renders Qwen3's template for a 20-turn conversation
// with tools, as a chat request would.
func BenchmarkRenderQwen3(b *testing.B) {
	tmpl, special, err := FromTokenizerConfig("../../../testdata/tokenizers/qwen3", "")
	if err != nil {
		b.Fatal(err)
	}
	in := Input{
		Tools:               []any{json.RawMessage(`{"type":"function","function":{"name":"get_weather","description":"Get the weather.","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}`)},
		AddGenerationPrompt: true,
	}
	for i := range 20 {
		role := []string{"user", "assistant"}[i%2]
		in.Messages = append(in.Messages, json.RawMessage(fmt.Sprintf(`{"role":%q,"content":"message number %d with some words in it"}`, role, i)))
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tmpl.Render(context.Background(), in, special); err != nil {
			b.Fatal(err)
		}
	}
}
