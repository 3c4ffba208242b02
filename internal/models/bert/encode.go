package bert

import (
	"context"
	"fmt"
	"slices"

	"hfserve/internal/models"
	"hfserve/internal/tensor"
)

// Encode runs a padded batch through the encoder and its head (see
// models.Encoder). Every input is checked before any work is done.
func (m *Model) Encode(ctx context.Context, b *models.EncoderBatch) (*models.EncoderOutput, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return nil, models.ErrClosed
	}
	batch, seqLen, err := m.check(b)
	if err != nil {
		return nil, err
	}
	cfg := m.cfg
	h := cfg.HiddenSize
	off := keptOffsets(b, batch, seqLen) // nil: every position is computed
	n := batch * seqLen
	if off != nil {
		n = off[batch]
	}
	x := make([]float32, n*h)
	m.embed(b, seqLen, x, off)
	s := m.getScratch(n)
	defer m.scratch.Put(s)
	for i := range m.layers {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("bert: encode stopped before layer %d: %w", i, err)
		}
		m.block(&m.layers[i], x, n, batch, seqLen, b.AttentionMask, off, s)
	}
	out := &models.EncoderOutput{Batch: batch, SeqLen: seqLen, HiddenSize: h, Hidden: x}
	if off != nil {
		out.Hidden = scatterRows(x, b.AttentionMask, off, seqLen, h)
	}
	m.heads(out, x, b.AttentionMask, off)
	return out, nil
}

// keptOffsets returns, when b asks to skip padding and has any, the first
// computed row of each sequence once padded positions are dropped (one more
// entry: the number of computed rows); nil when every position is computed.
// A batch with no real token at all is computed padded (there is nothing to
// keep, and HF gives such rows a defined, uniform attention).
func keptOffsets(b *models.EncoderBatch, batch, seqLen int) []int {
	if !b.SkipPadding || b.AttentionMask == nil {
		return nil
	}
	off := make([]int, batch+1)
	for i, row := range b.AttentionMask {
		kept := 0
		for _, v := range row {
			kept += int(v)
		}
		off[i+1] = off[i] + kept
	}
	if off[batch] == batch*seqLen || off[batch] == 0 {
		return nil
	}
	return off
}

// scatterRows lays the computed rows of x (width w, sequence i's kept
// positions from row off[i] on) out as [batch, seqLen, w] with zero rows
// at the padded positions.
func scatterRows(x []float32, mask [][]int32, off []int, seqLen, w int) []float32 {
	full := make([]float32, len(mask)*seqLen*w)
	for i, row := range mask {
		r := off[i]
		for j, v := range row {
			if v != 0 {
				copy(full[(i*seqLen+j)*w:][:w], x[r*w:][:w])
				r++
			}
		}
	}
	return full
}

// check validates the batch and returns its dimensions.
func (m *Model) check(b *models.EncoderBatch) (batch, seqLen int, err error) {
	if b == nil || len(b.InputIDs) == 0 || len(b.InputIDs[0]) == 0 {
		return 0, 0, fmt.Errorf("bert: empty batch: %w", models.ErrBadInput)
	}
	batch, seqLen = len(b.InputIDs), len(b.InputIDs[0])
	if seqLen > m.cfg.MaxPositions() {
		return 0, 0, fmt.Errorf("bert: %d tokens exceed the model's context of %d (max_position_embeddings): %w",
			seqLen, m.cfg.MaxPositions(), models.ErrContextLength)
	}
	if err := checkRows("attention_mask", b.AttentionMask, batch, seqLen, 2); err != nil {
		return 0, 0, err
	}
	if m.tokType != nil { // DistilBERT has no token types and ignores them
		if err := checkRows("token_type_ids", b.TokenTypeIDs, batch, seqLen, m.cfg.TypeVocabSize); err != nil {
			return 0, 0, err
		}
	}
	if err := checkRows("input_ids", b.InputIDs, batch, seqLen, m.cfg.VocabSize); err != nil {
		return 0, 0, err
	}
	return batch, seqLen, nil
}

// checkRows checks that rows (nil allowed except for input_ids, which
// check never passes as nil) is [batch][seqLen] with values in [0, limit).
func checkRows(what string, rows [][]int32, batch, seqLen int, limit int) error {
	if rows == nil {
		return nil
	}
	if len(rows) != batch {
		return fmt.Errorf("bert: %s has %d rows for a batch of %d: %w", what, len(rows), batch, models.ErrBadInput)
	}
	for i, r := range rows {
		if len(r) != seqLen {
			return fmt.Errorf("bert: %s row %d has %d tokens, want %d (pad every row to one length): %w", what, i, len(r), seqLen, models.ErrBadInput)
		}
		for j, v := range r {
			if v < 0 || int(v) >= limit {
				return fmt.Errorf("bert: %s[%d][%d] is %d, outside [0, %d): %w", what, i, j, v, limit, models.ErrBadInput)
			}
		}
	}
	return nil
}

// embed writes LayerNorm(word + position + token type) for every computed
// position: all of them, or with off (see keptOffsets) only the ones the
// mask keeps, sequence i's from row off[i] on.
func (m *Model) embed(b *models.EncoderBatch, seqLen int, x []float32, off []int) {
	h := m.cfg.HiddenSize
	tmp := make([]float32, h)
	rows := 0
	for i, ids := range b.InputIDs {
		count := 0 // RoBERTa: non-pad tokens so far
		r := i * seqLen
		if off != nil {
			r = off[i]
		}
		for j, id := range ids {
			pos := j
			if m.cfg.roberta() {
				// create_position_ids_from_input_ids: pads sit at padding_idx,
				// real tokens count up from padding_idx+1.
				pos = m.cfg.PadTokenID
				if int(id) != m.cfg.PadTokenID {
					count++
					pos += count
				}
			}
			if off != nil && b.AttentionMask[i][j] == 0 {
				continue
			}
			row := x[r*h:][:h]
			r++
			rows++
			m.word.Row(int(id), row)
			m.pos.Row(pos, tmp)
			tensor.Add(row, row, tmp)
			if m.tokType != nil {
				t := 0
				if b.TokenTypeIDs != nil {
					t = int(b.TokenTypeIDs[i][j])
				}
				m.tokType.Row(t, tmp)
				tensor.Add(row, row, tmp)
			}
		}
	}
	tensor.LayerNorm(x, x, m.embNormW, m.embNormB, rows, m.cfg.LayerNormEps)
}

// scratch holds one pass's activations. Every layer writes each of them
// whole before reading it, so a recycled one needs no clearing.
type scratch struct{ h, q, k, v, att, fc []float32 }

// getScratch returns a scratch for n rows, recycled when one is free: a
// batch's activations are megabytes, and allocating them per call cost the
// runtime's zeroing (4% of a MiniLM batch).
func (m *Model) getScratch(n int) *scratch {
	s, _ := m.scratch.Get().(*scratch)
	if s == nil {
		s = new(scratch)
	}
	h := m.cfg.HiddenSize
	for _, b := range []*[]float32{&s.h, &s.q, &s.k, &s.v, &s.att} {
		*b = slices.Grow((*b)[:0], n*h)[:n*h]
	}
	s.fc = slices.Grow(s.fc[:0], n*m.cfg.IntermediateSize)[:n*m.cfg.IntermediateSize]
	return s
}

// block runs one post-LayerNorm encoder layer on x in place:
// x = LN(x + o(attn(q(x), k(x), v(x)))); x = LN(x + fc2(act(fc1(x)))).
// With off (see keptOffsets) x holds only the kept positions, laid end to
// end, and attention runs per sequence over them.
func (m *Model) block(l *layer, x []float32, n, batch, seqLen int, mask [][]int32, off []int, s *scratch) {
	p, eps := m.pool, m.cfg.LayerNormEps
	tensor.LinearRowInvariant(p, s.q, x, n, l.q.w, l.q.b)
	tensor.LinearRowInvariant(p, s.k, x, n, l.k.w, l.k.b)
	tensor.LinearRowInvariant(p, s.v, x, n, l.v.w, l.v.b)
	if off != nil {
		m.attn.BidirectionalRagged(p, s.att, s.q, s.k, s.v, off)
	} else {
		m.attn.Bidirectional(p, s.att, s.q, s.k, s.v, batch, seqLen, mask)
	}
	tensor.LinearRowInvariant(p, s.h, s.att, n, l.o.w, l.o.b)
	addNorm(p, x, s.h, l.attnNormW, l.attnNormB, n, eps)
	tensor.LinearRowInvariant(p, s.fc, x, n, l.fc1.w, l.fc1.b)
	m.act.Apply(p, s.fc, n)
	tensor.LinearRowInvariant(p, s.h, s.fc, n, l.fc2.w, l.fc2.b)
	addNorm(p, x, s.h, l.outNormW, l.outNormB, n, eps)
}

// addNorm sets x = LayerNorm(x + y) for rows rows, split over the pool.
func addNorm(p *tensor.Pool, x, y, w, b []float32, rows int, eps float32) {
	h := len(w)
	models.ForRows(p, rows, h, func(lo, hi int) {
		xs := x[lo*h : hi*h]
		tensor.Add(xs, xs, y[lo*h:hi*h])
		tensor.LayerNorm(xs, xs, w, b, hi-lo, eps)
	})
}

// heads fills the pooler output and the head's logits. computed is the
// last layer's output as computed: out.Hidden itself, or with off (see
// keptOffsets) the kept positions only, which per-token heads then run on
// before their logits are laid out padded.
func (m *Model) heads(out *models.EncoderOutput, computed []float32, mask [][]int32, off []int) {
	h, batch := out.HiddenSize, out.Batch
	var first []float32 // h[:, 0]
	if m.pooler != nil || (m.cls != nil && !m.cls.perToken) {
		first = make([]float32, batch*h)
		for i := 0; i < batch; i++ {
			copy(first[i*h:(i+1)*h], out.Hidden[i*out.SeqLen*h:][:h])
		}
	}
	if m.pooler != nil {
		out.Pooler = make([]float32, batch*h)
		tensor.LinearRowInvariant(m.pool, out.Pooler, first, batch, m.pooler.w, m.pooler.b)
		tensor.Tanh(out.Pooler)
	}
	perToken := func(run func(*tensor.Pool, []float32, int) ([]float32, int)) {
		if off == nil {
			out.Logits, out.LogitsDim = run(m.pool, out.Hidden, batch*out.SeqLen)
			return
		}
		logits, dim := run(m.pool, computed, off[batch])
		out.Logits, out.LogitsDim = scatterRows(logits, mask, off, out.SeqLen, dim), dim
	}
	switch {
	case m.cls != nil && m.cls.perToken:
		perToken(m.cls.run)
	case m.cls != nil && m.cls.fromPooler:
		out.Logits, out.LogitsDim = m.cls.run(m.pool, out.Pooler, batch)
	case m.cls != nil:
		out.Logits, out.LogitsDim = m.cls.run(m.pool, first, batch)
	case m.mlm != nil:
		perToken(m.mlm.run)
	}
}

// run applies the classifier's stages to rows rows of x.
func (c *classifier) run(p *tensor.Pool, x []float32, rows int) ([]float32, int) {
	for _, st := range c.stages {
		y := make([]float32, rows*st.d.w.Rows)
		tensor.LinearRowInvariant(p, y, x, rows, st.d.w, st.d.b)
		if st.act != nil {
			st.act(y)
		}
		x = y
	}
	return x, c.stages[len(c.stages)-1].d.w.Rows
}

// run applies the masked-LM head to rows rows of x.
func (h *maskedLM) run(p *tensor.Pool, x []float32, rows int) ([]float32, int) {
	t := make([]float32, rows*h.transform.w.Rows)
	tensor.LinearRowInvariant(p, t, x, rows, h.transform.w, h.transform.b)
	h.act(t)
	tensor.LayerNorm(t, t, h.normW, h.normB, rows, h.eps)
	logits := make([]float32, rows*h.decoder.w.Rows)
	tensor.LinearRowInvariant(p, logits, t, rows, h.decoder.w, h.decoder.b)
	return logits, h.decoder.w.Rows
}
