package generate

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// qwenVocab is Qwen2's vocabulary size, the largest of the models served.
const qwenVocab = 151936

// benchLogits looks like a language model's next-token logits: a broad
// body and a few strong candidates. flat makes every token about as likely,
// the worst case for top-p.
func benchLogits(flat bool) []float32 {
	r := rand.New(rand.NewPCG(11, 12))
	l := make([]float32, qwenVocab)
	for i := range l {
		if flat {
			l[i] = float32(r.NormFloat64() * 0.1)
		} else {
			l[i] = float32(r.NormFloat64() * 2)
		}
	}
	if !flat {
		for range 20 {
			l[r.IntN(qwenVocab)] += float32(8 + r.Float64()*6)
		}
	}
	return l
}

func BenchmarkSample(b *testing.B) {
	tests := []struct {
		name string
		p    SamplingParams
		lp   LogprobRequest
		flat bool
	}{
		{"greedy", SamplingParams{}, LogprobRequest{}, false},
		{"greedy-logprobs5", SamplingParams{}, LogprobRequest{TopN: 5}, false},
		{"temperature", SamplingParams{Temperature: 0.8}, LogprobRequest{}, false},
		{"top-p0.9", SamplingParams{Temperature: 0.8, TopP: 0.9}, LogprobRequest{}, false},
		{"top-p0.9-logprobs5", SamplingParams{Temperature: 0.8, TopP: 0.9}, LogprobRequest{TopN: 5}, false},
		{"top-k50-top-p0.9", SamplingParams{Temperature: 0.8, TopK: 50, TopP: 0.9}, LogprobRequest{}, false},
		{"min-p0.05", SamplingParams{Temperature: 0.8, MinP: 0.05}, LogprobRequest{}, false},
		{"penalties-top-p0.9", SamplingParams{Temperature: 0.8, TopP: 0.9, RepetitionPenalty: 1.1, PresencePenalty: 0.5, FrequencyPenalty: 0.5}, LogprobRequest{}, false},
		{"top-p0.9-flat", SamplingParams{Temperature: 1, TopP: 0.9}, LogprobRequest{}, true},
	}
	for _, tc := range tests {
		b.Run(tc.name, func(b *testing.B) {
			logits := benchLogits(tc.flat)
			work := make([]float32, len(logits))
			prompt := make([]int32, 512)
			for i := range prompt {
				prompt[i] = int32(i * 97 % qwenVocab)
			}
			tc.p.Seed = seedPtr(1)
			s, err := NewSampler(tc.p, qwenVocab, prompt)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				copy(work, logits) // Sample uses its input as scratch
				if _, err := s.Sample(work, tc.lp); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSortVocabulary is the yardstick the filters avoid: one full
// sort of the vocabulary, as transformers' top-p does every step.
func BenchmarkSortVocabulary(b *testing.B) {
	logits := benchLogits(false)
	idx := make([]int32, len(logits))
	for b.Loop() {
		for i := range idx {
			idx[i] = int32(i)
		}
		slices.SortFunc(idx, func(x, y int32) int {
			switch {
			case logits[x] > logits[y]:
				return -1
			case logits[x] < logits[y]:
				return 1
			}
			return int(x - y)
		})
	}
}
