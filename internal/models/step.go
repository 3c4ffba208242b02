package models

import "fmt"

// Step is a decoder batch validated against one model and prepared for its
// layers: the activations of all sequences' new tokens are stacked into
// Rows rows, sequence after sequence.
type Step struct {
	batch *Batch
	// Rows is the number of new tokens in the batch.
	Rows int
	// Tokens holds every new token id, row by row.
	Tokens []int32
	// Positions holds every row's position in its sequence.
	Positions []int
	// OutRows lists the rows that produce output, in the result's order.
	OutRows []int
	// seqRow[i] is the first row of sequence i; seqRow[len] == Rows.
	seqRow []int
	// split is split-key attention's scratch, reused by every layer.
	split splitScratch
}

// Prepare validates b for a model with this cache geometry and vocabulary
// and makes room in every cache for its new tokens. Errors name the
// sequence at fault. No cache changes length until Commit.
func (s *CacheSpec) Prepare(b *Batch, vocab int) (*Step, error) {
	if b == nil || len(b.Seqs) == 0 {
		return nil, fmt.Errorf("models: empty batch: %w", ErrBadInput)
	}
	st := &Step{batch: b, seqRow: make([]int, len(b.Seqs)+1)}
	seen := make(map[*KVCache]int, len(b.Seqs))
	for i := range b.Seqs {
		seq := &b.Seqs[i]
		if err := s.checkSeq(i, seq, vocab, seen); err != nil {
			return nil, err
		}
		st.seqRow[i+1] = st.seqRow[i] + len(seq.Tokens)
	}
	st.Rows = st.seqRow[len(b.Seqs)]
	st.Tokens = make([]int32, 0, st.Rows)
	st.Positions = make([]int, 0, st.Rows)
	st.OutRows = make([]int, 0, b.OutputRows())
	for i := range b.Seqs {
		seq := &b.Seqs[i]
		seq.Cache.reserve(seq.Cache.n + len(seq.Tokens))
		st.Tokens = append(st.Tokens, seq.Tokens...)
		for j := range seq.Tokens {
			st.Positions = append(st.Positions, seq.Cache.n+j)
		}
		first := st.seqRow[i]
		switch {
		case seq.rowsOf() == 0:
		case seq.Output == OutputAll:
			for j := range seq.Tokens {
				st.OutRows = append(st.OutRows, first+j)
			}
		default:
			st.OutRows = append(st.OutRows, first+len(seq.Tokens)-1)
		}
	}
	return st, nil
}

// checkSeq validates sequence i of a batch.
func (s *CacheSpec) checkSeq(i int, seq *SeqStep, vocab int, seen map[*KVCache]int) error {
	c := seq.Cache
	switch {
	case c == nil:
		return fmt.Errorf("models: sequence %d: no KV cache: %w", i, ErrBadInput)
	case c.spec != s:
		return fmt.Errorf("models: sequence %d: KV cache made by another model: %w", i, ErrBadInput)
	case seq.Output > OutputNone:
		return fmt.Errorf("models: sequence %d: unknown output mode %d: %w", i, seq.Output, ErrBadInput)
	}
	if j, dup := seen[c]; dup {
		return fmt.Errorf("models: sequences %d and %d share one KV cache: %w", j, i, ErrBadInput)
	}
	seen[c] = i
	if need := c.n + len(seq.Tokens); need > c.max {
		if c.max == s.MaxPositions {
			return fmt.Errorf("models: sequence %d: %d tokens exceed the model's context of %d (max_position_embeddings): %w",
				i, need, s.MaxPositions, ErrContextLength)
		}
		return fmt.Errorf("models: sequence %d: %d tokens exceed its KV cache of %d: %w", i, need, c.max, ErrContextLength)
	}
	for j, t := range seq.Tokens {
		if t < 0 || int(t) >= vocab {
			return fmt.Errorf("models: sequence %d: token %d is id %d, outside the vocabulary [0, %d): %w", i, j, t, vocab, ErrBadInput)
		}
	}
	return nil
}

// Seqs is the number of sequences in the step.
func (st *Step) Seqs() int { return len(st.batch.Seqs) }

// SeqRows returns the rows [first, end) of sequence i.
func (st *Step) SeqRows(i int) (first, end int) { return st.seqRow[i], st.seqRow[i+1] }

// Commit advances every cache past its new tokens. Architectures call it
// once, after the last layer has stored its keys and values.
func (st *Step) Commit() {
	for i := range st.batch.Seqs {
		seq := &st.batch.Seqs[i]
		seq.Cache.n += len(seq.Tokens)
	}
}
