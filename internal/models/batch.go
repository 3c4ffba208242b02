package models

// Output says which of a sequence's new tokens produce an output row.
type Output uint8

// The output choices. The zero value asks for the next-token row only,
// which is what decoding wants.
const (
	// OutputLast yields one row, for the last new token.
	OutputLast Output = iota
	// OutputAll yields one row per new token (prompt logprobs, tests).
	OutputAll
	// OutputNone yields nothing: a prefill chunk that is not the prompt's
	// last only fills the cache.
	OutputNone
)

// SeqStep is one sequence's part of a decoder step.
type SeqStep struct {
	// Tokens are the new token ids: a prefill chunk or one decode token.
	// They take positions Cache.Len(), Cache.Len()+1, ...
	Tokens []int32
	// Cache is the sequence's KV cache, made by the same model's NewCache.
	// Forward appends Tokens' keys and values to it. A cache appears at
	// most once per batch and in one Forward at a time.
	Cache *KVCache
	// Output selects the rows this sequence contributes to the result.
	Output Output
}

// Batch is a ragged decoder step: every sequence with its own tokens,
// position and cache, and no padding.
type Batch struct {
	// Seqs are the sequences of this step, in the order of the result's
	// rows.
	Seqs []SeqStep
	// Hidden asks for the final hidden states (after the model's last
	// norm) instead of logits: what a decoder used for embeddings needs.
	// A decoder without an LM head accepts only Hidden batches.
	Hidden bool
	// Out, when its capacity holds the result, is where Forward writes it
	// (and returns Out[:n]) instead of allocating: a caller that consumes
	// each step's logits before the next passes the last result back, so
	// that a step of 16 sequences does not allocate and clear 16 rows of
	// the vocabulary (9.7 MB for Qwen2.5's, 3–4% of the step). The caller
	// must not read a result it passed as Out once it is overwritten.
	Out []float32
}

// OutBuffer returns b.Out resized to n floats when its capacity allows, else
// a new slice: where a model's Forward puts its result.
func (b *Batch) OutBuffer(n int) []float32 {
	if cap(b.Out) >= n {
		return b.Out[:n]
	}
	return make([]float32, n)
}

// rowsOf is the number of output rows s contributes.
func (s *SeqStep) rowsOf() int {
	switch s.Output {
	case OutputAll:
		return len(s.Tokens)
	case OutputNone:
		return 0
	}
	if len(s.Tokens) == 0 {
		return 0
	}
	return 1
}

// OutputRows is the number of rows Forward returns for b.
func (b *Batch) OutputRows() int {
	n := 0
	for i := range b.Seqs {
		n += b.Seqs[i].rowsOf()
	}
	return n
}

// RowOffsets returns, for each sequence, the index of its first row in
// Forward's result, plus a final entry equal to OutputRows(): sequence i
// owns rows [off[i], off[i+1]).
func (b *Batch) RowOffsets() []int {
	off := make([]int, len(b.Seqs)+1)
	for i := range b.Seqs {
		off[i+1] = off[i] + b.Seqs[i].rowsOf()
	}
	return off
}

// EncoderBatch is a padded batch for an encoder: Batch sequences of SeqLen
// tokens each.
type EncoderBatch struct {
	// InputIDs holds one row of token ids per sequence, all the same length.
	InputIDs [][]int32
	// AttentionMask marks real tokens with 1 and padding with 0; nil means
	// all ones. Padded positions are masked as keys only, as in Hugging
	// Face, so their own output rows are computed but meaningless.
	AttentionMask [][]int32
	// TokenTypeIDs are the segment ids (BERT sentence pairs); nil means all
	// zeros. Models without token types ignore them.
	TokenTypeIDs [][]int32
	// SkipPadding drops the positions AttentionMask marks as padding before
	// the first layer, so no work is spent on them: their rows of Hidden
	// and of per-token Logits come out zero (and a pooler or classifier
	// reading a padded first position reads zeros). The real positions are
	// what the padded computation gives them, up to float rounding. Callers
	// that read only real positions (embeddings, classification,
	// reranking) set it; the padded rows Hugging Face computes are
	// meaningless anyway.
	SkipPadding bool
}

// EncoderOutput is the result of Encode. Slices are row-major and owned by
// the caller.
type EncoderOutput struct {
	// Batch, SeqLen and HiddenSize are the dimensions of Hidden.
	Batch, SeqLen, HiddenSize int
	// Hidden is the last hidden state, [Batch, SeqLen, HiddenSize],
	// padded rows included.
	Hidden []float32
	// Pooler is the pooler output tanh(dense(h[:, 0])), [Batch,
	// HiddenSize]; nil when the model has no pooler.
	Pooler []float32
	// Logits is the head's output: [Batch, NumLabels] for sequence
	// classification, [Batch, SeqLen, NumLabels] for token classification,
	// [Batch, SeqLen, VocabSize] for masked LM; nil for a base model.
	Logits []float32
	// LogitsDim is the width of one row of Logits.
	LogitsDim int
}
