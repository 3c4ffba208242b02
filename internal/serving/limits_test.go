package serving

import (
	"errors"
	"testing"

	"hfserve/internal/generate"
)

func TestTokenLimitsCapOutput(t *testing.T) {
	tests := []struct {
		name                 string
		limit                int
		maxTokens            int
		prompt, maxPositions int
		want                 int // MaxTokens after; -1: refused
	}{
		{"no limit keeps as many as fit", 0, 0, 10, 100, 0},
		{"no limit keeps the request's", 0, 500, 10, 100, 500},
		{"asked below the limit", 5, 4, 10, 100, 4},
		{"asked at the limit", 5, 5, 10, 100, 5},
		{"asked above the limit", 5, 6, 10, 100, -1},
		{"as many as fit, room above the limit", 5, 0, 10, 100, 5},
		{"as many as fit, room below the limit", 5, 0, 97, 100, 3},
		{"no room left: the context check decides", 5, 0, 100, 100, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := generate.Params{MaxTokens: tt.maxTokens}
			err := TokenLimits{MaxOutput: tt.limit}.capOutput(&p, tt.prompt, tt.maxPositions)
			if tt.want < 0 {
				var le *TokenLimitError
				if !errors.As(err, &le) || !le.Output || le.Limit != tt.limit || le.Tokens != tt.maxTokens || le.Param != "max_tokens" {
					t.Fatalf("error %#v, want a TokenLimitError for %d over %d", err, tt.maxTokens, tt.limit)
				}
				return
			}
			if err != nil || p.MaxTokens != tt.want {
				t.Fatalf("MaxTokens %d, %v; want %d", p.MaxTokens, err, tt.want)
			}
		})
	}
}

func TestTokenLimitsCheckPrompt(t *testing.T) {
	for _, tt := range []struct {
		limit, n int
		refused  bool
	}{{0, 1 << 20, false}, {8, 8, false}, {8, 9, true}} {
		err := TokenLimits{MaxInput: tt.limit}.checkPrompt(tt.n)
		var le *TokenLimitError
		if got := errors.As(err, &le); got != tt.refused || got && (le.Output || le.Limit != tt.limit || le.Tokens != tt.n) {
			t.Errorf("limit %d, %d tokens: %v", tt.limit, tt.n, err)
		}
	}
}

// TestTokenLimitErrorIsTheClients checks that the breakers never count a
// request over the limits against its model.
func TestTokenLimitErrorIsTheClients(t *testing.T) {
	if !notTheModelsFault(&TokenLimitError{Limit: 1, Tokens: 2}) {
		t.Error("a TokenLimitError counts as the model's failure")
	}
}
