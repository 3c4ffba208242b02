package serving

import (
	"context"
	"fmt"
	"slices"
	"time"

	"hfserve/internal/generate"
	"hfserve/internal/models"
	"hfserve/internal/telemetry"
)

// runSequences drives every sequence of one request to its end on dec and
// returns each one's tokens. It is the only place generation runs the
// model, so that a scheduler batching the sequences of many requests can
// replace it: today the sequences of one request (its N choices) share each
// step's forward pass, a prefill of their prompts first and then one token
// per sequence, and a sequence leaves the batch when it ends.
//
// emit, when not nil, gets each token as it is chosen, in order within a
// sequence; its error stops the run. ctx is checked before every step (and
// by the model between layers), so a cancelled request stops within a step.
// On error the tokens generated so far are returned with it.
func runSequences(ctx context.Context, dec models.Decoder, seqs []*generate.Sequence, emit func(seq int, tok generate.Token) error) ([][]generate.Token, error) {
	tokens := make([][]generate.Token, len(seqs))
	steps := make([]models.SeqStep, len(seqs))
	for i, seq := range seqs {
		cache, err := dec.NewCache(seq.MaxLen())
		if err != nil {
			return tokens, fmt.Errorf("serving: generate: %w", err)
		}
		steps[i] = models.SeqStep{Tokens: seq.Prompt(), Cache: cache}
	}
	active := make([]int, len(seqs))
	for i := range active {
		active[i] = i
	}
	// The choices of one request share their prompt: the first sequence
	// computes it alone, and the others copy its cache and sample their
	// first tokens from its logits.
	var waiting []int
	if len(seqs) > 1 && samePrompts(seqs) {
		waiting = slices.Clone(active[1:])
		active = active[:1]
	}
	vocab := dec.Info().VocabSize
	rec := telemetry.RequestFrom(ctx)
	batch := &models.Batch{}
	var order []int // this step's sequences: active ones, then waiting ones
	for step := 0; len(active) > 0; step++ {
		if err := ctx.Err(); err != nil {
			return tokens, fmt.Errorf("serving: generate: before step %d: %w", step, err)
		}
		batch.Seqs = batch.Seqs[:0]
		for _, i := range active {
			batch.Seqs = append(batch.Seqs, steps[i])
		}
		logits, err := dec.Forward(ctx, batch)
		if err != nil {
			return tokens, fmt.Errorf("serving: generate: step %d: %w", step, err)
		}
		// Rows for the waiting choices, copied before the first sequence's
		// sampling may change its row in place.
		var firstRows [][]float32
		for range waiting {
			firstRows = append(firstRows, slices.Clone(logits[:vocab]))
		}
		// running reuses active's array, so the loop reads a copy.
		order = append(append(order[:0], active...), waiting...)
		running := active[:0]
		for row, i := range order {
			var rowLogits []float32
			if row < len(active) {
				rowLogits = logits[row*vocab : (row+1)*vocab]
			} else {
				if err := steps[i].Cache.CopyPrefix(steps[0].Cache, len(seqs[i].Prompt())); err != nil {
					return tokens, fmt.Errorf("serving: generate: share the prompt: %w", err)
				}
				rowLogits = firstRows[row-len(active)]
			}
			tok, done, err := seqs[i].Next(rowLogits)
			if err != nil {
				return tokens, fmt.Errorf("serving: generate: step %d: %w", step, err)
			}
			rec.Token(time.Now())
			tokens[i] = append(tokens[i], tok)
			if emit != nil {
				if err := emit(i, tok); err != nil {
					return tokens, err
				}
			}
			if !done {
				steps[i].Tokens = []int32{tok.ID}
				running = append(running, i)
			}
		}
		active, waiting = running, nil
	}
	return tokens, nil
}

// samePrompts reports whether every sequence has the same prompt.
func samePrompts(seqs []*generate.Sequence) bool {
	first := seqs[0].Prompt()
	for _, s := range seqs[1:] {
		if !slices.Equal(s.Prompt(), first) {
			return false
		}
	}
	return true
}

// promptChunk bounds the rows of one prompt-scoring forward pass: each row
// brings a whole vocabulary of logits, so a long prompt is scored in
// pieces to keep that memory bounded.
const promptChunk = 256

// scorePrompt fills the logprob of every prompt token after the first,
// with topN alternatives, from one pass over the prompt on a fresh cache:
// the row at position i scores the token at i+1, as TGI's
// decoder_input_details and OpenAI's echo report them.
func scorePrompt(ctx context.Context, dec models.Decoder, prompt []int32, topN int, out []PromptToken) error {
	if len(prompt) < 2 {
		return nil
	}
	cache, err := dec.NewCache(len(prompt) - 1)
	if err != nil {
		return fmt.Errorf("serving: prompt logprobs: %w", err)
	}
	vocab := dec.Info().VocabSize
	for start := 0; start < len(prompt)-1; start += promptChunk {
		end := min(start+promptChunk, len(prompt)-1)
		batch := &models.Batch{Seqs: []models.SeqStep{{Tokens: prompt[start:end], Cache: cache, Output: models.OutputAll}}}
		logits, err := dec.Forward(ctx, batch)
		if err != nil {
			return fmt.Errorf("serving: prompt logprobs: %w", err)
		}
		for r := range end - start {
			pos := start + r + 1
			ch, err := generate.TokenLogprobs(logits[r*vocab:(r+1)*vocab], prompt[pos], topN)
			if err != nil {
				return fmt.Errorf("serving: prompt logprobs: token %d: %w", pos, err)
			}
			lp := ch.Logprob
			out[pos].Logprob, out[pos].TopLogprobs = &lp, ch.TopLogprobs
		}
	}
	return nil
}
