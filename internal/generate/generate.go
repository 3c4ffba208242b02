package generate

import (
	"context"
	"fmt"

	"hfserve/internal/models"
)

// Generate runs one sequence alone: it prefills the prompt, then decodes one
// token per step with a KV cache until a stop rule ends it, calling emit
// (if not nil) with each token as it is chosen. The model's config.json
// end-of-sequence ids apply; pass generation_config.json's in
// params.EOSTokenIDs.
//
// The context is checked before every step. On cancellation, a model error
// or an error from emit, Generate returns the error and the tokens
// generated until then.
func Generate(ctx context.Context, dec models.Decoder, prompt []int32, params Params, detok Detokenizer, emit func(Token) error) (Result, error) {
	seq, err := NewSequence(SpecOf(dec.Info()), prompt, params, detok)
	if err != nil {
		return Result{PromptTokens: len(prompt)}, err
	}
	cache, err := dec.NewCache(seq.MaxLen())
	if err != nil {
		return seq.Result(nil), fmt.Errorf("generate: %w", err)
	}
	var tokens []Token
	batch := &models.Batch{Seqs: []models.SeqStep{{Tokens: seq.Prompt(), Cache: cache}}}
	for {
		if err := ctx.Err(); err != nil {
			return seq.Result(tokens), fmt.Errorf("generate: after %d tokens: %w", len(tokens), err)
		}
		logits, err := dec.Forward(ctx, batch)
		if err != nil {
			return seq.Result(tokens), fmt.Errorf("generate: step %d: %w", len(tokens), err)
		}
		tok, done, err := seq.Next(logits)
		if err != nil {
			return seq.Result(tokens), fmt.Errorf("generate: step %d: %w", len(tokens), err)
		}
		tokens = append(tokens, tok)
		if emit != nil {
			if err := emit(tok); err != nil {
				return seq.Result(tokens), err
			}
		}
		if done {
			return seq.Result(tokens), nil
		}
		batch.Seqs[0].Tokens = []int32{tok.ID}
	}
}
