package serving

import (
	"context"
	"fmt"
	"slices"

	"hfserve/internal/models"
)

// Batch bounds for the forward passes of embedding and classification
// requests: a request's inputs run in batches of at most
// maxBatchInputs inputs and maxBatchTokens tokens (padding included for
// encoders), so its activations stay bounded however many inputs it
// sends. Inputs are sorted by length first, so batches waste little
// padding.
const (
	maxBatchInputs = 32
	maxBatchTokens = 4096
)

// batchPlan splits items into runs of similar length: it returns the
// item indices sorted by length, cut into batches.
func batchPlan(items []tokens) [][]int {
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return len(items[a].ids) - len(items[b].ids) })
	var plan [][]int
	start := 0
	for i := range order {
		// Sorted ascending, so the item at i is the longest so far and
		// sets the padded length of the batch it joins.
		n := i - start + 1
		if n > 1 && (n > maxBatchInputs || n*len(items[order[i]].ids) > maxBatchTokens) {
			plan = append(plan, order[start:i])
			start = i
		}
	}
	if start < len(order) {
		plan = append(plan, order[start:])
	}
	return plan
}

// runEncoder runs enc over items in padded batches and hands each item's
// part of the output to use: the batch output and the item's row in it.
// It is the seam where a scheduler batching requests together will plug
// in.
func runEncoder(ctx context.Context, enc models.Encoder, items []tokens, use func(item int, out *models.EncoderOutput, row int) error) error {
	pad := int32(max(enc.Info().PadTokenID, 0))
	for _, batch := range batchPlan(items) {
		seqLen := len(items[batch[len(batch)-1]].ids)
		b := &models.EncoderBatch{ // use reads real rows only: skip the padded ones
			InputIDs:      make([][]int32, len(batch)),
			AttentionMask: make([][]int32, len(batch)),
			TokenTypeIDs:  make([][]int32, len(batch)),
			SkipPadding:   true,
		}
		for r, i := range batch {
			it := items[i]
			ids, mask, types := make([]int32, seqLen), make([]int32, seqLen), make([]int32, seqLen)
			copy(ids, it.ids)
			copy(types, it.types)
			for j := range ids {
				if j < len(it.ids) {
					mask[j] = 1
				} else {
					ids[j] = pad
				}
			}
			b.InputIDs[r], b.AttentionMask[r], b.TokenTypeIDs[r] = ids, mask, types
		}
		out, err := enc.Encode(ctx, b)
		if err != nil {
			return fmt.Errorf("serving: encode: %w", err)
		}
		for r, i := range batch {
			if err := use(i, out, r); err != nil {
				return err
			}
		}
	}
	return nil
}

// runDecoderHidden runs dec over items for their final hidden states, in
// ragged batches (no padding), each item on a fresh cache. output picks the
// rows: models.OutputLast for the last token, models.OutputAll for every
// token. use gets each item's rows, [rows, hidden].
func runDecoderHidden(ctx context.Context, dec models.Decoder, items []tokens, output models.Output, use func(item int, rows []float32) error) error {
	hidden := dec.Info().HiddenSize
	for _, batch := range batchPlan(items) {
		b := &models.Batch{Hidden: true, Seqs: make([]models.SeqStep, len(batch))}
		for r, i := range batch {
			cache, err := dec.NewCache(len(items[i].ids))
			if err != nil {
				return fmt.Errorf("serving: embed: %w", err)
			}
			b.Seqs[r] = models.SeqStep{Tokens: items[i].ids, Cache: cache, Output: output}
		}
		out, err := dec.Forward(ctx, b)
		if err != nil {
			return fmt.Errorf("serving: embed: %w", err)
		}
		off := b.RowOffsets()
		for r, i := range batch {
			if err := use(i, out[off[r]*hidden:off[r+1]*hidden]); err != nil {
				return err
			}
		}
	}
	return nil
}
