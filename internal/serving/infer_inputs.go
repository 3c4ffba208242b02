package serving

import (
	"context"
	"fmt"

	"hfserve/internal/generate"
	"hfserve/internal/tokenizer"
)

// tokens is one input of an embedding or classification request, encoded.
type tokens struct {
	ids   []int32
	types []int32 // segment ids; nil means all zeros
}

// truncation says what to do with an input longer than the model's
// context.
type truncation struct {
	cut, left bool
}

// tokenizerFor is rt's tokenizer set to cut inputs to limit tokens (special
// tokens included) when t asks for it, and never otherwise.
func tokenizerFor(rt *Runtime, t truncation, limit int) *tokenizer.Tokenizer {
	tok := plainTokenizer(rt)
	if !t.cut {
		return tok
	}
	dir := tokenizer.Right
	if t.left {
		dir = tokenizer.Left
	}
	return tok.WithTruncation(&tokenizer.TruncationParams{MaxLength: limit, Strategy: tokenizer.LongestFirst, Direction: dir})
}

// maxContext is the longest input a request may send to rt.
func maxContext(rt *Runtime) int {
	if rt.MaxContext > 0 {
		return rt.MaxContext
	}
	return rt.Info().MaxPositions
}

// encodeInputs encodes single inputs with the tokenizer's special tokens
// (ids are taken as they are). param names the request field for errors.
// An input longer than the context (or lim.MaxInput, when smaller) is cut
// when t says so and is otherwise a *generate.ContextLengthError (or a
// *TokenLimitError), wrapped with the input's index.
func encodeInputs(ctx context.Context, rt *Runtime, param string, inputs []Input, t truncation, lim TokenLimits) ([]tokens, error) {
	if len(inputs) == 0 {
		return nil, inputErr(param, "must hold at least one input")
	}
	limit, configured := lim.inputLimit(rt)
	tok := tokenizerFor(rt, t, limit)
	out := make([]tokens, len(inputs))
	for i, in := range inputs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if in.IDs != nil {
			if err := checkIDs(rt, indexed(param, i), in.IDs); err != nil {
				return nil, err
			}
			out[i] = tokens{ids: cutIDs(in.IDs, limit, t)}
		} else {
			enc, err := tok.Encode(in.Text, true)
			if err != nil {
				return nil, inputErr(indexed(param, i), "%v", err)
			}
			out[i] = tokens{ids: enc.IDs, types: enc.TypeIDs}
		}
		if err := checkLength(indexed(param, i), len(out[i].ids), limit, configured); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// encodePairs encodes (text, text_pair) inputs for a cross-encoder, with
// the tokenizer's pair template and segment ids; truncation, when asked,
// cuts the longer text first, as transformers' longest_first does. Limits
// apply as in encodeInputs.
func encodePairs(ctx context.Context, rt *Runtime, param string, pairs [][2]string, t truncation, lim TokenLimits) ([]tokens, error) {
	if len(pairs) == 0 {
		return nil, inputErr(param, "must hold at least one input")
	}
	limit, configured := lim.inputLimit(rt)
	tok := tokenizerFor(rt, t, limit)
	out := make([]tokens, len(pairs))
	for i, p := range pairs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		enc, err := tok.EncodePair(p[0], p[1], true)
		if err != nil {
			return nil, inputErr(indexed(param, i), "%v", err)
		}
		out[i] = tokens{ids: enc.IDs, types: enc.TypeIDs}
		if err := checkLength(indexed(param, i), len(out[i].ids), limit, configured); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// cutIDs truncates ids to limit when t asks for it, from the end or, with
// left, from the start.
func cutIDs(ids []int32, limit int, t truncation) []int32 {
	if !t.cut || len(ids) <= limit {
		return ids
	}
	if t.left {
		return ids[len(ids)-limit:]
	}
	return ids[:limit]
}

// checkLength rejects an empty input and one over the limit: the context,
// or the configured max_input_tokens when that is the smaller.
func checkLength(param string, n, limit int, configured bool) error {
	if n == 0 {
		return inputErr(param, "encodes to no tokens")
	}
	if n > limit {
		if configured {
			return fmt.Errorf("%s: %w", param, &TokenLimitError{Limit: limit, Tokens: n})
		}
		return fmt.Errorf("%s: %w", param, &generate.ContextLengthError{MaxPositions: limit, PromptTokens: n})
	}
	return nil
}

// countTokens sums the inputs' lengths, for usage.
func countTokens(items []tokens) int {
	n := 0
	for _, it := range items {
		n += len(it.ids)
	}
	return n
}
