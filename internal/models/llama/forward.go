package llama

import (
	"context"
	"fmt"

	"hfserve/internal/models"
	"hfserve/internal/tensor"
)

// Forward runs one ragged step: every sequence's new tokens go through all
// layers together (one matrix product per weight for the whole batch), and
// attention reads each sequence's own cache. See models.Decoder.
func (m *Model) Forward(ctx context.Context, b *models.Batch) ([]float32, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return nil, models.ErrClosed
	}
	st, err := m.spec.Prepare(b, m.cfg.VocabSize)
	if err != nil {
		return nil, err
	}
	if st.Rows == 0 {
		return []float32{}, nil // only empty sequences: nothing to compute
	}
	if !b.Hidden && m.lmHead == nil {
		return nil, fmt.Errorf("llama: %s has no LM head: ask for hidden states: %w", m.cfg.Architecture, models.ErrBadInput)
	}
	cfg := m.cfg
	h := cfg.HiddenSize
	x := make([]float32, st.Rows*h)
	for r, tok := range st.Tokens {
		m.embed.Row(int(tok), x[r*h:(r+1)*h])
	}
	s := newScratch(cfg, st.Rows)
	for i := range m.layers {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("llama: forward stopped before layer %d: %w", i, err)
		}
		m.block(st, i, x, s)
	}
	st.Commit()
	return m.outputs(st, x, b), nil
}

// scratch holds one forward pass's activations.
type scratch struct {
	h, q, k, v, att, gate, up []float32
}

func newScratch(cfg *Config, rows int) *scratch {
	qDim, kvDim := cfg.NumHeads*cfg.HeadDim, cfg.NumKVHeads*cfg.HeadDim
	return &scratch{
		h:    make([]float32, rows*max(cfg.HiddenSize, qDim)),
		q:    make([]float32, rows*qDim),
		k:    make([]float32, rows*kvDim),
		v:    make([]float32, rows*kvDim),
		att:  make([]float32, rows*qDim),
		gate: make([]float32, rows*cfg.IntermediateSize),
		up:   make([]float32, rows*cfg.IntermediateSize),
	}
}

// block runs decoder layer i on x in place:
// x += o(attn(rope(q(n(x))), rope(k(n(x))), v(n(x)))); x += down(act(gate(n(x)))·up(n(x))).
// The row-wise steps (norms, residual adds, RoPE, the activation) are split by
// rows over the pool when there are enough rows (models.ForRows): on many
// cores a prompt's serial element-wise work would otherwise cost as much as
// a good part of its matrix products. Rows are independent in all of them,
// so the split changes no result.
func (m *Model) block(st *models.Step, i int, x []float32, s *scratch) {
	cfg, l, p := m.cfg, &m.layers[i], m.pool
	n, h, eps := st.Rows, cfg.HiddenSize, cfg.RMSNormEps
	qDim := cfg.NumHeads * cfg.HeadDim
	hs := s.h[:n*h]
	models.ForRows(p, n, h, func(lo, hi int) {
		tensor.RMSNorm(hs[lo*h:hi*h], x[lo*h:hi*h], l.inNorm, hi-lo, eps)
	})
	tensor.LinearMulti(p, hs, n,
		tensor.Projection{Dst: s.q, W: l.q, Bias: l.qBias},
		tensor.Projection{Dst: s.k, W: l.k, Bias: l.kBias},
		tensor.Projection{Dst: s.v, W: l.v, Bias: l.vBias})
	if l.qNorm != nil {
		// Qwen3 normalises each head's vector before RoPE.
		headNorm(p, s.q, l.qNorm, n*cfg.NumHeads, eps)
		headNorm(p, s.k, l.kNorm, n*cfg.NumKVHeads, eps)
	}
	m.applyRoPE(st, s.q, cfg.NumHeads)
	m.applyRoPE(st, s.k, cfg.NumKVHeads)
	m.attn[i].Causal(p, st, i, s.att, s.q, s.k, s.v)
	out := s.h[:n*h]
	tensor.Linear(p, out, s.att[:n*qDim], n, l.o, l.oBias)
	models.ForRows(p, n, h, func(lo, hi int) {
		xs := x[lo*h : hi*h]
		tensor.Add(xs, xs, out[lo*h:hi*h])
		tensor.RMSNorm(hs[lo*h:hi*h], xs, l.postNorm, hi-lo, eps)
	})
	tensor.LinearMulti(p, hs, n,
		tensor.Projection{Dst: s.gate, W: l.gate, Bias: l.gateBias},
		tensor.Projection{Dst: s.up, W: l.up, Bias: l.upBias})
	in := cfg.IntermediateSize
	if cfg.Act == "silu" || cfg.Act == "swish" {
		models.ForRows(p, n, in, func(lo, hi int) {
			g := s.gate[lo*in : hi*in]
			tensor.SwiGLU(g, g, s.up[lo*in:hi*in])
		})
	} else {
		m.act.Apply(p, s.gate[:n*in], n)
		models.ForRows(p, n, in, func(lo, hi int) {
			g := s.gate[lo*in : hi*in]
			tensor.Mul(g, g, s.up[lo*in:hi*in])
		})
	}
	tensor.Linear(p, out, s.gate, n, l.down, l.downBias)
	models.ForRows(p, n, h, func(lo, hi int) {
		xs := x[lo*h : hi*h]
		tensor.Add(xs, xs, out[lo*h:hi*h])
	})
}

// headNorm is RMSNorm over rows head vectors of x in place, split over p.
func headNorm(p *tensor.Pool, x, w []float32, rows int, eps float32) {
	d := len(w)
	models.ForRows(p, rows, d, func(lo, hi int) {
		tensor.RMSNorm(x[lo*d:hi*d], x[lo*d:hi*d], w, hi-lo, eps)
	})
}

// outputs applies the final norm to the rows that produce output and, for
// logits, the LM head.
func (m *Model) outputs(st *models.Step, x []float32, b *models.Batch) []float32 {
	h := m.cfg.HiddenSize
	rows := len(st.OutRows)
	var sel []float32
	if b.Hidden {
		sel = b.OutBuffer(rows * h)
	} else {
		sel = make([]float32, rows*h)
	}
	for j, r := range st.OutRows {
		copy(sel[j*h:(j+1)*h], x[r*h:(r+1)*h])
	}
	tensor.RMSNorm(sel, sel, m.norm, rows, m.cfg.RMSNormEps)
	if b.Hidden {
		return sel
	}
	logits := b.OutBuffer(rows * m.cfg.VocabSize)
	if rows > 0 {
		tensor.Linear(m.pool, logits, sel, rows, m.lmHead, nil)
	}
	return logits
}

// applyRoPE rotates x [Rows, heads, HeadDim] sequence by sequence, so that
// dynamic NTK scaling sees each sequence's own length, never its batch's; a
// long sequence's rows are split over the pool, every part with the whole
// sequence's length.
func (m *Model) applyRoPE(st *models.Step, x []float32, heads int) {
	w := heads * m.cfg.HeadDim
	for i := 0; i < st.Seqs(); i++ {
		first, end := st.SeqRows(i)
		if first >= end {
			continue
		}
		pos := st.Positions[first:end]
		seqLen := 0
		for _, p := range pos {
			seqLen = max(seqLen, p+1)
		}
		xs := x[first*w : end*w]
		models.ForRows(m.pool, end-first, w, func(lo, hi int) {
			m.rope.ApplyLen(xs[lo*w:hi*w], heads, pos[lo:hi], seqLen)
		})
	}
}
