package respcache

import "hfserve/internal/generate"

// greedyBelow is generate's threshold: a temperature under it decodes
// greedily.
const greedyBelow = 1e-5

// Deterministic reports whether a generation with these sampling settings
// gives the same tokens every time, so that its answer may be cached:
// greedy decoding (a temperature under 1e-5, as generate reads it, or
// top-k 1), or sampling with an explicit seed (the sampler is a seeded
// PCG). Requests that sample without a seed are meant to differ from one
// call to the next and are never cached.
func Deterministic(s generate.SamplingParams) bool {
	return s.Temperature < greedyBelow || s.TopK == 1 || s.Seed != nil
}
