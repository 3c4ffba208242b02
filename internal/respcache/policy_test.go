package respcache

import (
	"testing"

	"hfserve/internal/generate"
)

func TestDeterministic(t *testing.T) {
	seed := uint64(1)
	tests := []struct {
		name string
		s    generate.SamplingParams
		want bool
	}{
		{"greedy", generate.SamplingParams{Temperature: 0}, true},
		{"below generate's greedy threshold", generate.SamplingParams{Temperature: 1e-6}, true},
		{"top-k 1", generate.SamplingParams{Temperature: 1, TopK: 1}, true},
		{"seeded sampling", generate.SamplingParams{Temperature: 0.8, TopP: 0.9, Seed: &seed}, true},
		{"sampling without a seed", generate.SamplingParams{Temperature: 1}, false},
		{"top-k 2 without a seed", generate.SamplingParams{Temperature: 0.5, TopK: 2}, false},
	}
	for _, tt := range tests {
		if got := Deterministic(tt.s); got != tt.want {
			t.Errorf("%s: %t, want %t", tt.name, got, tt.want)
		}
	}
}
