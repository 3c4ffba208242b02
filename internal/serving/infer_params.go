package serving

import (
	"hfserve/internal/generate"
)

// MaxChoices bounds GenerateRequest.N, as OpenAI bounds n.
const MaxChoices = 128

// generationParams is the request's parameters with the model's
// end-of-sequence ids added and, when asked, its sampling defaults
// applied. The request's slices are not modified.
func generationParams(rt *Runtime, req GenerateRequest) generate.Params {
	p := req.Params
	p.EOSTokenIDs = unionIDs(p.EOSTokenIDs, rt.Tokenizer.StopTokenIDs(), generationEOS(rt))
	if req.UseModelDefaults && rt.Generation != nil {
		applyModelDefaults(&p.Sampling, rt.Generation)
	}
	return p
}

// generationEOS is generation_config.json's eos_token_id list.
func generationEOS(rt *Runtime) []int32 {
	if rt.Generation == nil {
		return nil
	}
	return rt.Generation.EOSTokenIDs
}

// applyModelDefaults fills the sampling fields a request left at zero
// from generation_config.json, as transformers' generate does with the
// model's GenerationConfig:
//
//   - Temperature 0 stays 0 (greedy) unless the file says do_sample: true;
//     then it is the file's temperature, or 1 when the file sets none
//     (transformers' default). A file with do_sample false or absent
//     decodes greedily, as transformers does.
//   - TopK, TopP, MinP and RepetitionPenalty at 0 take the file's value
//     when it sets one (only values the file sets: transformers' own
//     default top_k of 50 is not applied). The repetition penalty applies
//     to greedy decoding too, as transformers applies it.
//
// Zero means "not set" here, so a client that wants greedy decoding from a
// model whose defaults sample must say so in a way that survives this (the
// CLI sends TopK 1), or the caller leaves UseModelDefaults off.
func applyModelDefaults(s *generate.SamplingParams, g *generate.GenerationConfig) {
	if s.Temperature == 0 && g.DoSample != nil && *g.DoSample {
		s.Temperature = 1
		if g.Temperature != nil {
			s.Temperature = *g.Temperature
		}
	}
	if s.TopK == 0 && g.TopK != nil {
		s.TopK = *g.TopK
	}
	if s.TopP == 0 && g.TopP != nil {
		s.TopP = *g.TopP
	}
	if s.MinP == 0 && g.MinP != nil {
		s.MinP = *g.MinP
	}
	if s.RepetitionPenalty == 0 && g.RepetitionPenalty != nil {
		s.RepetitionPenalty = *g.RepetitionPenalty
	}
}

// unionIDs concatenates id lists without repeats, keeping first-seen
// order, into a new slice.
func unionIDs(lists ...[]int32) []int32 {
	var out []int32
	seen := map[int32]bool{}
	for _, l := range lists {
		for _, id := range l {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return out
}

// choiceParams are the parameters of choice i: with a seed, choice i
// samples from seed+i so that choices differ but replay exactly.
func choiceParams(p generate.Params, i int) generate.Params {
	if p.Sampling.Seed != nil {
		seed := *p.Sampling.Seed + uint64(i)
		p.Sampling.Seed = &seed
	}
	return p
}
