package generate

import (
	"math"
	"slices"
	"testing"
)

// TestPenalties checks bias and penalties against values worked out by
// hand from transformers' RepetitionPenaltyLogitsProcessor (logit < 0 ?
// logit*p : logit/p, over prompt and generated tokens) and OpenAI's
// formula (logit -= count*frequency + (count > 0)*presence, over generated
// tokens only).
func TestPenalties(t *testing.T) {
	ninf := math.Inf(-1)
	tests := []struct {
		name      string
		p         SamplingParams
		prompt    []int32
		generated []int32
		logits    []float32
		want      []float32
	}{
		{
			name:   "repetition discourages",
			p:      SamplingParams{RepetitionPenalty: 1.5},
			prompt: []int32{0, 2},
			logits: []float32{3, 1, -1.5},
			want:   []float32{2, 1, -2.25},
		},
		{
			name:   "repetition below 1 encourages",
			p:      SamplingParams{RepetitionPenalty: 0.5},
			prompt: []int32{0, 2, 2},
			logits: []float32{3, 1, -1.5},
			want:   []float32{6, 1, -0.75},
		},
		{
			name:      "repetition counts generated tokens once",
			p:         SamplingParams{RepetitionPenalty: 2},
			prompt:    []int32{0},
			generated: []int32{1, 1, 1},
			logits:    []float32{4, 4, 4},
			want:      []float32{2, 2, 4},
		},
		{
			name:      "presence ignores the prompt",
			p:         SamplingParams{PresencePenalty: 1},
			prompt:    []int32{0, 0},
			generated: []int32{1, 1},
			logits:    []float32{3, 1, -1.5},
			want:      []float32{3, 0, -1.5},
		},
		{
			name:      "frequency scales with the count",
			p:         SamplingParams{FrequencyPenalty: 0.5},
			generated: []int32{1, 1, 1, 2},
			logits:    []float32{3, 1, -1.5},
			want:      []float32{3, -0.5, -2},
		},
		{
			name:      "negative penalties encourage",
			p:         SamplingParams{PresencePenalty: -1, FrequencyPenalty: -0.25},
			generated: []int32{2, 2},
			logits:    []float32{3, 1, -1.5},
			want:      []float32{3, 1, 0},
		},
		{
			// bias: id2 0.5+1 = 1.5; repetition 2 over {0,1,4}: 2/2 = 1,
			// -1*2 = -2, 1/2 = 0.5; then counts {1:1, 4:2}: id1 -2 - 0.25 -
			// 0.5 = -2.75, id4 0.5 - 0.5 - 0.5 = -0.5.
			name:      "all together, bias first",
			p:         SamplingParams{RepetitionPenalty: 2, PresencePenalty: 0.5, FrequencyPenalty: 0.25, LogitBias: map[int32]float64{2: 1}},
			prompt:    []int32{0, 1},
			generated: []int32{1, 4, 4},
			logits:    []float32{2, -1, 0.5, -3, 1, 4},
			want:      []float32{1, -2.75, 1.5, -3, -0.5, 4},
		},
		{
			name:      "a banned token stays banned",
			p:         SamplingParams{RepetitionPenalty: 0.5, PresencePenalty: -2, LogitBias: map[int32]float64{1: ninf}},
			generated: []int32{1},
			logits:    []float32{0, 5},
			want:      []float32{0, float32(ninf)},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewSampler(tc.p, len(tc.logits), tc.prompt)
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range tc.generated {
				s.hist.add(id)
			}
			got := slices.Clone(tc.logits)
			applyBias(got, s.p.LogitBias)
			applyPenalties(got, &s.p, &s.hist)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("processed %v, want %v", got, tc.want)
			}
			// Sample works on the same processed logits: its greedy choice
			// and logprob are those of tc.want.
			ch, err := s.Sample(slices.Clone(tc.logits), LogprobRequest{Enabled: true})
			if err != nil {
				t.Fatal(err)
			}
			best, z := 0, 0.0
			for i, l := range tc.want {
				if l > tc.want[best] {
					best = i
				}
				z += math.Exp(float64(l))
			}
			if wantLP := float64(tc.want[best]) - math.Log(z); ch.ID != int32(best) || math.Abs(float64(ch.Logprob)-wantLP) > 1e-6 {
				t.Errorf("sampled %d (logprob %v), want %d (%v)", ch.ID, ch.Logprob, best, wantLP)
			}
		})
	}
}

// TestPenaltiesFollowGeneration checks that Sample records its choices:
// under a strong frequency penalty, greedy decoding cycles through tokens
// instead of repeating the best one.
func TestPenaltiesFollowGeneration(t *testing.T) {
	logits := []float32{3, 2.5, 2}
	s, err := NewSampler(SamplingParams{FrequencyPenalty: 1}, len(logits), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []int32
	for range 6 {
		ch, err := s.Sample(slices.Clone(logits), LogprobRequest{})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ch.ID)
	}
	// Step by step: 3 > 2.5 > 2 picks 0; then 2 < 2.5 picks 1; then
	// (2, 1.5, 2) ties 0 and 2, the lower id 0 wins; then (1, 1.5, 2)
	// picks 2; then (1, 1.5, 1) picks 1; then (1, 0.5, 1) picks 0.
	if want := []int32{0, 1, 0, 2, 1, 0}; !slices.Equal(got, want) {
		t.Errorf("greedy with frequency penalty picked %v, want %v", got, want)
	}
}
