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
	return m.outputs(st, x, b.Hidden), nil
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
func (m *Model) block(st *models.Step, i int, x []float32, s *scratch) {
	cfg, l, p := m.cfg, &m.layers[i], m.pool
	n, h := st.Rows, cfg.HiddenSize
	qDim := cfg.NumHeads * cfg.HeadDim
	hs := s.h[:n*h]
	tensor.RMSNorm(hs, x, l.inNorm, n, cfg.RMSNormEps)
	tensor.LinearMulti(p, hs, n,
		tensor.Projection{Dst: s.q, W: l.q, Bias: l.qBias},
		tensor.Projection{Dst: s.k, W: l.k, Bias: l.kBias},
		tensor.Projection{Dst: s.v, W: l.v, Bias: l.vBias})
	if l.qNorm != nil {
		// Qwen3 normalises each head's vector before RoPE.
		tensor.RMSNorm(s.q, s.q, l.qNorm, n*cfg.NumHeads, cfg.RMSNormEps)
		tensor.RMSNorm(s.k, s.k, l.kNorm, n*cfg.NumKVHeads, cfg.RMSNormEps)
	}
	m.applyRoPE(st, s.q, cfg.NumHeads)
	m.applyRoPE(st, s.k, cfg.NumKVHeads)
	m.attn[i].Causal(p, st, i, s.att, s.q, s.k, s.v)
	out := s.h[:n*h]
	tensor.Linear(p, out, s.att[:n*qDim], n, l.o, l.oBias)
	tensor.Add(x, x, out)

	tensor.RMSNorm(hs, x, l.postNorm, n, cfg.RMSNormEps)
	tensor.LinearMulti(p, hs, n,
		tensor.Projection{Dst: s.gate, W: l.gate, Bias: l.gateBias},
		tensor.Projection{Dst: s.up, W: l.up, Bias: l.upBias})
	if cfg.Act == "silu" || cfg.Act == "swish" {
		tensor.SwiGLU(s.gate, s.gate, s.up)
	} else {
		m.act.Apply(p, s.gate, n)
		tensor.Mul(s.gate, s.gate, s.up)
	}
	tensor.Linear(p, out, s.gate, n, l.down, l.downBias)
	tensor.Add(x, x, out)
}

// outputs applies the final norm to the rows that produce output and, for
// logits, the LM head.
func (m *Model) outputs(st *models.Step, x []float32, hidden bool) []float32 {
	h := m.cfg.HiddenSize
	rows := len(st.OutRows)
	sel := make([]float32, rows*h)
	for j, r := range st.OutRows {
		copy(sel[j*h:(j+1)*h], x[r*h:(r+1)*h])
	}
	tensor.RMSNorm(sel, sel, m.norm, rows, m.cfg.RMSNormEps)
	if hidden {
		return sel
	}
	logits := make([]float32, rows*m.cfg.VocabSize)
	if rows > 0 {
		tensor.Linear(m.pool, logits, sel, rows, m.lmHead, nil)
	}
	return logits
}

// applyRoPE rotates x [Rows, heads, HeadDim] sequence by sequence, so that
// dynamic NTK scaling sees each sequence's own length, never its batch's.
func (m *Model) applyRoPE(st *models.Step, x []float32, heads int) {
	w := heads * m.cfg.HeadDim
	for i := 0; i < st.Seqs(); i++ {
		first, end := st.SeqRows(i)
		if first < end {
			m.rope.Apply(x[first*w:end*w], heads, st.Positions[first:end])
		}
	}
}
